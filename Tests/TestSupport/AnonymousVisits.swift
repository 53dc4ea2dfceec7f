import Testing

/// What a visitor who never signs in does, for the tests that count what the server stores for
/// it (nothing): the sign-in page 200 times, with and without a return path, then four error
/// pages, each in a browser of its own.
package enum AnonymousVisits {
    /// Makes the visits; `newBrowser` gives a fresh browser of the server under test.
    package static func make(_ newBrowser: () -> Browser) async throws {
        for visit in 0..<200 {
            var visitor = newBrowser()
            let page = try await visitor.get(visit % 2 == 0 ? "/login" : "/login?return_to=%2Freview")
            #expect(page.status == 200 && Browser.csrf(in: page) != nil)
            #expect(visitor.sid == nil, "no session for a visitor who has not signed in")
        }
        for errorPage in ["/authorize?client_id=nobody&response_type=code", "/review", "/no-such-page", "/authorize"] {
            var visitor = newBrowser()
            #expect(try await visitor.get(errorPage).status != 200, "\(errorPage)")
        }
    }
}
