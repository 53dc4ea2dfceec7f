import Foundation
import SharedPlatform
import Testing

/// The settings reference is made from the declarations the readers read through: every
/// constraint it prints is the one a bad value is refused by, its reload column is what a reload
/// does, and every key the shipped files set is in it.
struct SettingsReferenceTests {
    private static let valueFile = "/etc/oauth2/value.json"

    /// The problems of a configuration with `value` at `key`, in the context the key's section
    /// needs (a storage group of its type, an http site), beside a session secret.
    private func problems(setting key: ConfigKeyPath, in section: SettingSection, to value: JSONValue) -> [ConfigProblem] {
        // A key under a name of the operator's is set for the name "session": a storage group, or
        // a site's scope, function or claim of that name.
        let concrete = key.isPattern ? key.filling("session") : key
        var context: JSONValue = .object(["auth_server": .object(["session_secret": .string("s")])])
        if section.object == "storage.<group>" {
            context = context.merged(with: nested(["storage", "session", "type"], .string(section.type ?? "Sqlite")))
        }
        if section.object == "resource_server", let type = section.type {
            context = context.merged(with: .object(["resource_server": .object([
                "type": .string(type), "login": .object(["token_cookie": .string("c")]),
            ])]))
        }
        let document = ConfigDocument(location: ConfigLocation(directory: "/etc/oauth2", environmentName: "test"), layers: [
            .init(path: "/etc/oauth2/context.json", value: context),
            .init(path: Self.valueFile, value: nested(concrete.keys, value)),
        ])
        do {
            _ = try ServerConfig(document: document)
            return []
        } catch {
            return error.problems.filter { $0.key == concrete }
        }
    }

    private func nested(_ keys: [String], _ value: JSONValue) -> JSONValue {
        keys.reversed().reduce(value) { inner, key in .object([key: inner]) }
    }

    /// Every declared setting with its section, for the rules whose type starts with `prefix`.
    private func declared(_ matches: (String) -> Bool) -> [(SettingSection, SettingEntry)] {
        Settings.sections.flatMap { section in section.entries.filter { matches($0.type) }.map { (section, $0) } }
    }

    /// The whole numbers of `text`, in order (`integer, 1–65535` → 1, 65535).
    private func numbers(in text: String) -> [Double] {
        text.split(whereSeparator: { !"0123456789.".contains($0) }).compactMap { Double($0) }
    }

    @Test func everyDeclaredRangeIsTheOneAValueIsRefusedBy() {
        let integers = declared { $0.contains("integer, ") }
        #expect(integers.count >= 15, "\(integers.map(\.1.key))")
        for (section, entry) in integers {
            let bounds = numbers(in: entry.type).map { Int($0) }
            let (lowest, highest) = (bounds[bounds.count - 2], bounds[bounds.count - 1])
            let problems = problems(setting: entry.key, in: section, to: .number(Double(highest + 1)))
            #expect(problems.map(\.message) == ["must be between \(lowest) and \(highest), not \(highest + 1)"], "\(entry.key): \(entry.type)")
            #expect(problems.allSatisfy { $0.file == Self.valueFile })
            #expect(self.problems(setting: entry.key, in: section, to: .number(Double(lowest))).isEmpty, "\(entry.key) accepts \(lowest)")
        }
    }

    @Test func everyDeclaredMinimumIsTheOneAValueIsRefusedBy() {
        let minimums = declared { $0.hasPrefix("seconds, at least") || $0.hasPrefix("number, at least") }
        #expect(minimums.count >= 9, "\(minimums.map(\.1.key))")
        for (section, entry) in minimums {
            let minimum = numbers(in: entry.type)[0]
            let below = minimum - 0.05
            let messages = problems(setting: entry.key, in: section, to: .number(below)).map(\.message)
            let unit = entry.type.hasPrefix("seconds") ? "a number of seconds" : "a number"
            #expect(messages == ["must be \(unit) of at least \(minimum), not \(below)"], "\(entry.key): \(entry.type)")
        }
    }

    @Test func everyDeclaredChoiceIsTheListAValueIsRefusedWith() {
        let choices = declared { $0.hasPrefix("one of") }
        #expect(choices.count >= 6, "\(choices.map(\.1.key))")
        for (section, entry) in choices {
            let names = entry.type.split(separator: "`").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            let messages = problems(setting: entry.key, in: section, to: .string("no-such-value")).map(\.message)
            #expect(messages.count == 1, "\(entry.key): \(messages)")
            #expect(messages.allSatisfy { $0.contains("\"no-such-value\"") && $0.contains(names.joined(separator: ", ")) }, "\(entry.key): \(names) \(messages)")
        }
        // Listed names are accepted.
        #expect(problems(setting: "logging.level", in: Settings.sections[0], to: .string("warning")).isEmpty)
    }

    @Test func everyDeclaredBooleanIsReadAsOne() {
        let flags = declared { $0 == "boolean" }
        #expect(flags.count >= 7)
        for (section, entry) in flags {
            #expect(problems(setting: entry.key, in: section, to: .string("yes")).map(\.message) == ["must be true or false, not a string"], "\(entry.key)")
        }
    }

    /// Defaults are the declarations': an empty configuration reads as the reference says.
    @Test func anEmptyConfigurationReadsAsTheDeclaredDefaults() throws {
        let config = try ServerConfig(document: ConfigDocument(
            location: ConfigLocation(directory: "/etc/oauth2", environmentName: "test"),
            merged: .object(["auth_server": .object(["session_secret": .string("s")])]), origin: "/etc/oauth2/default.json"))
        func shown(_ key: ConfigKeyPath) -> String? { Settings.all.first { $0.key == key }?.defaultText }
        #expect(shown("auth_server.port") == "`\(config.authServer.port)`")
        #expect(shown("auth_server.backlog") == "`\(config.authServer.backlog)`")
        #expect(shown("auth_server.idle_timeout") == "`\(Int(config.authServer.idleTimeout))`")
        #expect(shown("auth_server.throttling.longest_wait_seconds") == "`\(Int(config.authServer.throttling.longestWaitSeconds))`")
        #expect(shown("resource_server.type") == "`\"\(config.resourceServer.type)\"`")
        #expect(shown("logging.level") == "`\"\(config.logging.level.rawValue)\"`")
        #expect(shown("logging.short_sid") == "`\(config.logging.shortSID)`")
    }

    /// The reload column is what `ConfigChange` does: a key declared in place or needing a
    /// restart changes without new workers, any other starts them.
    @Test func theReloadColumnIsWhatAReloadDoes() throws {
        func config(_ value: JSONValue) throws -> ServerConfig {
            try ServerConfig(document: ConfigDocument(
                location: ConfigLocation(directory: "/etc/oauth2", environmentName: "test"),
                merged: value.merged(with: .object(["auth_server": .object(["session_secret": .string("s")])])), origin: "/etc/oauth2/default.json"))
        }
        let base = try config(.object([:]))
        let changes: [(ConfigKeyPath, JSONValue)] = [
            ("logging.level", .string("debug")),
            ("logging.short_sid", .bool(false)),
            ("auth_server.num_workers", .number(3)),
            ("auth_server.worker_timeout", .number(5)),
            ("auth_server.shutdown_timeout", .number(5)),
            ("auth_server.backlog", .number(16)),
            ("auth_server.metrics.port", .number(9464)),
            ("auth_server.idle_timeout", .number(5)),
            ("auth_server.throttling.client_failures", .number(3)),
            ("resource_server.timeout", .number(3)),
            ("client_credentials.file", .string("other.json")),
        ]
        var seen: Set<String> = []
        for (key, value) in changes {
            let entry = try #require(Settings.all.first { $0.key == key }, "\(key) is declared")
            seen.insert(entry.reload.label)
            let change = ConfigChange(from: base, to: try config(nested(key.keys, value)))
            #expect(change.needsNewWorkers == (entry.reload == .rollsWorkers), "\(key) is declared \(entry.reload.label)")
        }
        #expect(seen == ["in place", "rolls workers", "needs restart"])
        #expect(Set(ConfigChange.hotKeys) == Set(Settings.all.filter { $0.reload != .rollsWorkers }.map(\.key)))
    }

    /// A key the shipped files set that nothing declares would be missing from the reference.
    @Test func everyKeyOfTheShippedFilesIsDeclared() throws {
        let etc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("etc")
        let files = ["default.json", "development.json", "test.json", "production.json.example"]
        // The Node original's `hostname` is accepted and ignored (`url` says that now).
        let accepted: Set<ConfigKeyPath> = ["auth_server.hostname"]
        var checked = 0
        for file in files {
            let value = try JSONValue.parse(Data(contentsOf: etc.appendingPathComponent(file)))
            for key in leafKeys(of: value, at: []) where !accepted.contains(key) {
                checked += 1
                #expect(Settings.all.contains { $0.key.matches(key) }, "\(file): \(key) is not declared in Settings")
            }
        }
        #expect(checked > 50)
    }

    /// The keys holding values (not objects), comments left out; a list is one value.
    private func leafKeys(of value: JSONValue, at path: [String]) -> [ConfigKeyPath] {
        guard case .object(let members) = value else { return [ConfigKeyPath(path)] }
        return members.keys.sorted().filter { !$0.hasPrefix("//") }.flatMap { leafKeys(of: members[$0]!, at: path + [$0]) }
    }

    @Test func theReferenceHasARowForEveryDeclaredSetting() {
        let markdown = SettingsReference.markdown
        for entry in Settings.all {
            #expect(markdown.contains("| `\(entry.key)` | \(entry.type) | \(entry.defaultText) | \(entry.reload.label) |"), "\(entry.key)")
        }
        for section in Settings.sections { #expect(markdown.contains("\n## \(section.heading)\n")) }
    }
}
