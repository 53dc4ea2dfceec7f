import Foundation
import SharedStorage
import TestSupport
import Testing

/// The audit trail in process: every decision about a user's grant is appended, read back
/// through the audit log the worker writes to.
@Suite struct AuditTrailTests {
    @Test func everyDecisionIsAudited() async throws {
        try await WorkerHarness.run { worker in
            var driver = OAuthDriver(worker)
            let user = OAuthDriver.newUser()
            try await driver.signIn(user)
            _ = try await driver.answer(try await driver.authorize(OAuthDriver.codeRequest()), allow: false)
            let tokens = try await driver.exchange(try await driver.code(OAuthDriver.codeRequest(scope: "read-write")))
            _ = try await driver.post(
                [("grant_type", "refresh_token"), ("refresh_token", try #require(tokens["refresh_token"] as? String))], basic: ("test", "hunter2"))
            let page = try await driver.browser.get("/review?client_id=test&redirect_uri=" + OAuthDriver.encode(FlowClients.redirect))
            _ = try await driver.browser.post("/review", form: [("transaction_id", try #require(OAuthDriver.hidden("transaction_id", in: page)))])

            let events = try await worker.audit.recent(limit: 200).reversed().filter { $0.userID == user }
            #expect(events.map(\.event) == ["deny", "grant", "code_exchange", "refresh", "revoke"])
            #expect(events.allSatisfy { $0.clientID == "test" })
            #expect(events.first { $0.event == "grant" }?.scope == "read-write")
            #expect(events.last?.detail == "revoked by the user on the review page")
            let exchange = try #require(events.first { $0.event == "code_exchange" })
            #expect(exchange.tokenID?.contains("..") == true, "a shortened token id, never the code itself")
        }
    }
}
