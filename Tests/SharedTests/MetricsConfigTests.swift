import Foundation
import SharedPlatform
import Testing

/// `auth_server.metrics` is read by the same rules as every key.
struct MetricsConfigTests {
    private func config(_ text: String, file: String = "default.json") throws(ConfigError) -> ServerConfig {
        let location = ConfigLocation(directory: "/etc/oauth2", environmentName: "test")
        let layers = [
            ConfigDocument.Layer(path: "/etc/oauth2/base.json", value: try! JSONValue.parse(Data(#"{"auth_server": {"session_secret": "s"}}"#.utf8))),
            ConfigDocument.Layer(path: "/etc/oauth2/\(file)", value: try! JSONValue.parse(Data(text.utf8))),
        ]
        return try ServerConfig(document: ConfigDocument(location: location, layers: layers))
    }

    private func problems(_ text: String) -> [String] {
        do {
            _ = try config(text, file: "runtime.json")
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func offUnlessAPortIsSetAndOnLoopbackByDefault() throws {
        #expect(try config("{}").authServer.metrics == MetricsConfig(port: nil, host: "127.0.0.1"))
        #expect(try config(#"{"auth_server": {"metrics": {"port": null}}}"#).authServer.metrics.isEnabled == false)
        let on = try config(#"{"auth_server": {"metrics": {"port": "9464", "host": "0.0.0.0"}}}"#).authServer.metrics
        #expect(on == MetricsConfig(port: 9464, host: "0.0.0.0"), "numbers written as strings, as the Node original writes them")
    }

    @Test func badValuesNameFileAndKey() {
        #expect(problems(#"{"auth_server": {"metrics": {"port": 70000}}}"#)
            == ["/etc/oauth2/runtime.json: auth_server.metrics.port: must be between 1 and 65535, not 70000"])
        #expect(problems(#"{"auth_server": {"metrics": {"port": "ninety"}}}"#)
            == [#"/etc/oauth2/runtime.json: auth_server.metrics.port: must be a number, not "ninety""#])
        #expect(problems(#"{"auth_server": {"metrics": {"host": ["a"]}}}"#)
            == ["/etc/oauth2/runtime.json: auth_server.metrics.host: must be a string, not an array"])
        #expect(problems(#"{"auth_server": {"port": 9000, "metrics": {"port": 9000}}}"#).first?.contains(
            "auth_server.metrics.port: must differ from auth_server.port (9000)") == true)
    }

    @Test func aMisspeltKeyIsAWarningAndAChangeRollsNoWorkers() throws {
        let spelt = try config(#"{"auth_server": {"metrics": {"prot": 9464}}}"#)
        #expect(spelt.warnings.map(\.description).contains { $0.hasPrefix("/etc/oauth2/default.json: auth_server.metrics.prot: is not a key") })
        let before = try config("{}")
        let after = try config(#"{"auth_server": {"metrics": {"port": 9464}}}"#)
        #expect(ConfigChange(from: before, to: after) == ConfigChange(needsNewWorkers: false, addressChanged: false))
    }
}
