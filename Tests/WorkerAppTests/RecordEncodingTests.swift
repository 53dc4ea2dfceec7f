import Foundation
import SharedPlatform
import SharedStorage
import TestSupport
import Testing
import WorkerApp

/// The records the worker stores by hand-written JSON read back what they wrote, and what
/// earlier versions wrote.
struct RecordEncodingTests {
    /// Found by scripts/fuzz (json): a stored date no store could hold (1.7e36 ms) read back, and
    /// writing the record again (a refresh writes its grant's copy into the new record) trapped.
    @Test func recordsWithImpossibleDatesAreUnreadableNotFatal() {
        let far = #"{"clientID":"demo","expiresAt":1766588400000,"grantID":"g-7a1c","issuedAt":1763996400888888888888888888888888000}"#
        #expect(AccessTokenRecord.decode(Array(far.utf8)) == nil)
        #expect(JSONValue.number(1e300).storedDate == nil)
        #expect(JSONValue.number(-1e300).storedDate == nil)
        // The whole range a record can hold: year 1 to 9999, written again unchanged.
        for milliseconds in [253_402_300_799_999.0, -62_135_596_800_000, 0, 1_763_996_400_123] {
            let date = JSONValue.number(milliseconds).storedDate
            #expect(date?.storageMilliseconds == Int64(milliseconds))
        }
    }

    @Test func tokenAndUserRecordsRoundTripAndReadTheEarlierFormat() throws {
        let issued = Date(timeIntervalSince1970: 1_764_698_000.123)
        let record = AccessTokenRecord(
            grantID: "g-1", clientID: "test", userID: "alice@example.com", scope: ["read-only", "read-write"],
            issuedAt: issued.storagePrecision, expiresAt: issued.addingTimeInterval(7200).storagePrecision, username: "Alice \"A\"")
        #expect(AccessTokenRecord.decode(record.encoded()) == record)
        let service = AccessTokenRecord(grantID: "g-2", clientID: "svc", userID: nil, scope: [], issuedAt: issued.storagePrecision, expiresAt: issued.storagePrecision)
        #expect(AccessTokenRecord.decode(service.encoded()) == service)
        // Records written by Foundation's JSONEncoder before (fractional milliseconds, no username).
        let earlier = #"{"clientID":"test","expiresAt":1764705200123.456,"grantID":"g-1","issuedAt":1764698000123,"scope":["read-only"],"userID":"bob"}"#
        let read = try #require(AccessTokenRecord.decode(Array(earlier.utf8)))
        #expect(read.userID == "bob" && read.username == nil && read.scope == ["read-only"])
        #expect(AccessTokenRecord.decode(Array(#"{"clientID":"test"}"#.utf8)) == nil)

        let user = SiteUser(id: "42", siteToken: "t0k\"en", profile: ["firstName": "Bob", "last name": "Smith ✓"], username: "bob")
        #expect(SiteUser.decode(user.encoded()) == user)
        let earlierUser = #"{"id":"7","profile":{},"site_token":"abc"}"#
        #expect(SiteUser.decode(Array(earlierUser.utf8)) == SiteUser(id: "7", siteToken: "abc"))
    }
}

/// Users' site tokens are stored sealed: the store alone does not give them away.
struct UserDirectoryTests {
    @Test(arguments: TestBackend.allCases)
    func aUserIsStoredSealedAndOnlyTheSecretOpensIt(_ backend: TestBackend) async throws {
        try await backend.withStores(["users"]) { stores, _ in
            let store = stores["users"]!
            let users = UserDirectory(store: store, secret: "the session secret")
            let bob = SiteUser(id: "42", siteToken: "site-session-of-bob", profile: ["firstName": "Bob"], username: "bob@example.com")
            try await users.save(bob)
            #expect(try await users.user("42") == bob)
            let stored = try #require(try await store.get("42"))
            #expect(!String(decoding: stored, as: UTF8.self).contains("site-session-of-bob"), "no site token in clear")
            #expect(!String(decoding: stored, as: UTF8.self).contains("Bob"), "nor the profile")

            #expect(try await UserDirectory(store: store, secret: "another secret").user("42") == nil, "another secret opens nothing")
            try await store.put("43", stored)
            #expect(try await users.user("43") == nil, "a sealed record copied under another id does not open")

            // Written in clear by an earlier version: still read, sealed at the next sign-in.
            try await store.put("7", Array(#"{"id":"7","profile":{},"site_token":"abc"}"#.utf8))
            #expect(try await users.user("7") == SiteUser(id: "7", siteToken: "abc"))
        }
    }
}
