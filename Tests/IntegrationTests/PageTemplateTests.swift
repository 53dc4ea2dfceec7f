import Foundation
import TestSupport
import Testing

extension IntegrationTests {
    /// Operators restyle the pages by replacing the Mustache templates (`auth_server.views_dir`,
    /// `auth_server.views`); a template that is missing or broken stops the start with its name.
    @Suite(.serialized)
    struct PageTemplateTests {
        /// A copy of the shipped templates, to change.
        private func templatesCopy() throws -> String {
            let directory = TestEnvironment.temporaryDirectory("oauth2-views")
            let shipped = TestEnvironment.repository.appendingPathComponent("views").path
            for file in try FileManager.default.contentsOfDirectory(atPath: shipped) {
                try FileManager.default.copyItem(atPath: "\(shipped)/\(file)", toPath: "\(directory)/\(file)")
            }
            return directory
        }

        @Test func anOperatorsTemplatesReplaceTheShippedOnes() async throws {
            let views = try templatesCopy()
            try """
                <h1>Let {{#client}}{{name}}{{/client}} in?</h1>
                <form method="post" action="/authorize">
                <input type="hidden" name="transaction_id" value="{{transaction_id}}">
                <input type="hidden" name="scope" value="{{scope}}">
                <button name="allow">Yes</button><button name="cancel">No</button></form>
                """.write(toFile: "\(views)/consent.mustache", atomically: true, encoding: .utf8)
            let layout = try String(contentsOfFile: "\(views)/layout.mustache", encoding: .utf8)
            try layout.replacingOccurrences(of: "<main>", with: "<main class=\"acme\"><p>ACME Accounts</p>")
                .write(toFile: "\(views)/layout.mustache", atomically: true, encoding: .utf8)

            // Through a symbolic link, as a deployment links the folder to a release's copy.
            let linked = views + "-current"
            try FileManager.default.createSymbolicLink(atPath: linked, withDestinationPath: views)
            let server = try await OAuthDriver.start(
                .embedded, workers: 1, overrides: ["auth_server": ["views_dir": linked, "views": ["dialog": "consent"]]])
            defer { server.kill() }
            var driver = OAuthDriver(server: server)
            try await driver.signIn(OAuthDriver.newUser())
            let page = try await driver.authorize(OAuthDriver.codeRequest())
            #expect(page.body.contains("<h1>Let Automated tests in?</h1>"))
            #expect(page.body.contains("ACME Accounts"), "the operator's layout wraps every page")
            #expect(try await driver.browser.get("/login").body.contains("ACME Accounts"))
            // The operator's form works like the shipped one.
            let decision = try await driver.answer(page, allow: true)
            #expect(OAuthDriver.query(of: decision.header("Location") ?? "")["code"] != nil)
            #expect(await server.stop() == 0)
        }

        @Test func aMissingOrBrokenTemplateStopsTheStartWithItsName() async throws {
            let missing = try await ServerProcess.start(
                workers: 1, overrides: ["auth_server": ["views": ["review": "no-such-page"]]], waitUntilReady: false)
            defer { missing.kill() }
            #expect(await eventually(timeout: .seconds(20)) { !missing.isRunning })
            #expect(await missing.stop() == 1)
            #expect(missing.log().contains("auth_server.views.review: no template no-such-page.mustache"))

            let views = try templatesCopy()
            try "<h1>{{#client}}{{name}}</h1>".write(toFile: "\(views)/dialog.mustache", atomically: true, encoding: .utf8)
            let broken = try await ServerProcess.start(workers: 1, overrides: ["auth_server": ["views_dir": views]], waitUntilReady: false)
            defer { broken.kill() }
            #expect(await eventually(timeout: .seconds(20)) { !broken.isRunning })
            #expect(await broken.stop() == 1)
            #expect(broken.log().contains("dialog.mustache"))
        }
    }
}
