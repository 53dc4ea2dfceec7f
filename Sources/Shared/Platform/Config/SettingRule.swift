/// How one setting's value is read and checked, and how the settings reference describes it.
/// The reference's type and default are made by the same factory as the reading, so they cannot
/// say something the reader does not do.
package struct SettingRule<Value: Sendable>: Sendable {
    /// The type and the accepted values, as the reference prints them (`integer, 1–65535`).
    package let type: String
    /// The value an absent key reads as, as the reference prints it (`8081`, or words: `none`).
    package let defaultText: String
    /// Reads the value at a key; a bad value is recorded with its file and key and read as the default.
    let read: @Sendable (inout ConfigReader, ConfigKeyPath) -> Value

    package init(type: String, defaultText: String, read: @escaping @Sendable (inout ConfigReader, ConfigKeyPath) -> Value) {
        self.type = type
        self.defaultText = defaultText
        self.read = read
    }
}

extension SettingRule where Value == Int {
    /// A whole number in `range` (numbers written as strings included, as the Node original writes them).
    package static func integer(default fallback: Int, in range: ClosedRange<Int>) -> SettingRule<Int> {
        SettingRule(type: "integer, \(range.lowerBound)–\(range.upperBound)", defaultText: "`\(fallback)`") { reader, key in
            reader.integer(key, default: fallback, in: range)
        }
    }
}

extension SettingRule where Value == Int? {
    /// A whole number in `range`, or nothing at all (`unset` says what that means).
    package static func optionalInteger(in range: ClosedRange<Int>, unset: String) -> SettingRule<Int?> {
        SettingRule(type: "integer, \(range.lowerBound)–\(range.upperBound)", defaultText: unset) { reader, key in
            reader.value(key) == nil ? nil : reader.integer(key, default: 0, in: range)
        }
    }

    /// `"auto"` (nil: the reader computes a value), or a whole number in `range`.
    package static func integerOrAuto(in range: ClosedRange<Int>) -> SettingRule<Int?> {
        SettingRule(type: "`\"auto\"` or integer, \(range.lowerBound)–\(range.upperBound)", defaultText: "`\"auto\"`") { reader, key in
            switch reader.value(key) {
            case nil, .string("auto")?: nil
            default: reader.integer(key, default: range.lowerBound, in: range)
            }
        }
    }
}

extension SettingRule where Value == Double {
    /// A number of seconds of at least `minimum`, fractions allowed.
    package static func seconds(default fallback: Double, minimum: Double) -> SettingRule<Double> {
        SettingRule(type: "seconds, at least \(JSONValue.text(ofNumber: minimum))", defaultText: "`\(JSONValue.text(ofNumber: fallback))`") {
            reader, key in reader.seconds(key, default: fallback, minimum: minimum)
        }
    }

    /// A number of at least `minimum` that is not a duration (a growth factor).
    package static func number(default fallback: Double, minimum: Double) -> SettingRule<Double> {
        SettingRule(type: "number, at least \(JSONValue.text(ofNumber: minimum))", defaultText: "`\(JSONValue.text(ofNumber: fallback))`") {
            reader, key in reader.number(key, default: fallback, minimum: minimum)
        }
    }
}

extension SettingRule where Value == Bool {
    /// `true` or `false` (or those words as strings).
    package static func flag(default fallback: Bool) -> SettingRule<Bool> {
        SettingRule(type: "boolean", defaultText: "`\(fallback)`") { reader, key in reader.bool(key, default: fallback) }
    }
}

extension SettingRule where Value == String {
    /// Any text (a number is read as its text).
    package static func text(default fallback: String) -> SettingRule<String> {
        SettingRule(type: "string", defaultText: "`\"\(fallback)\"`") { reader, key in reader.string(key, default: fallback) }
    }

    /// One of `names`, else a problem saying `refusal` of the value (read as the default then).
    package static func oneOf(
        _ names: [String], default fallback: String,
        refusal: (@Sendable (String) -> String)? = nil
    ) -> SettingRule<String> {
        SettingRule.choice(names, default: fallback, parse: { names.contains($0) ? $0 : nil }, refusal: refusal)
    }
}

extension SettingRule where Value == String? {
    /// Any text, or nothing; `unset` says what nothing means (`none`, `required`, a computed value).
    package static func optionalText(unset: String) -> SettingRule<String?> {
        SettingRule(type: "string", defaultText: unset) { reader, key in reader.string(key) }
    }

    /// One of `names`, or nothing (`unset` says what nothing means); another value is a problem
    /// saying `refusal` of it and reads as nothing.
    package static func oneOf(
        _ names: [String], unset: String,
        refusal: (@Sendable (String) -> String)? = nil
    ) -> SettingRule<String?> {
        SettingRule(type: Self.oneOfType(names), defaultText: unset) { reader, key in
            guard let text = reader.string(key) else { return nil }
            guard names.contains(text) else {
                reader.fail(key, (refusal ?? oneOfRefusal(names))(text))
                return nil
            }
            return text
        }
    }
}

extension SettingRule where Value == [String] {
    /// A JSON array of strings.
    package static func textList(default fallback: [String]) -> SettingRule<[String]> {
        let shown = fallback.map { "\"\($0)\"" }.joined(separator: ", ")
        return SettingRule(type: "list of strings", defaultText: "`[\(shown)]`") { reader, key in reader.stringArray(key) ?? fallback }
    }
}

extension SettingRule {
    /// One of `names`, read into a value by `parse` (which may accept other spellings of them);
    /// text `parse` refuses is a problem saying `refusal` of it, and reads as the default.
    package static func choice(
        _ names: [String], default fallback: Value, defaultName: String? = nil,
        parse: @escaping @Sendable (String) -> Value?,
        refusal: (@Sendable (String) -> String)? = nil
    ) -> SettingRule<Value> {
        SettingRule(type: oneOfType(names), defaultText: "`\"\(defaultName ?? "\(fallback)")\"`") { reader, key in
            guard let text = reader.string(key) else { return fallback }
            guard let value = parse(text) else {
                reader.fail(key, (refusal ?? oneOfRefusal(names))(text))
                return fallback
            }
            return value
        }
    }

    /// The problem a value outside `names` is, unless a rule says it its own way.
    static func oneOfRefusal(_ names: [String]) -> @Sendable (String) -> String {
        { "must be one of \(names.joined(separator: ", ")), not \"\($0)\"" }
    }

    static func oneOfType(_ names: [String]) -> String {
        "one of " + names.map { "`\($0)`" }.joined(separator: ", ")
    }
}
