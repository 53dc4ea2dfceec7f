/// A part of the configuration as the settings reference groups it: the object its keys are in,
/// the backend or site type they apply to (nil: every type), a line on what they are for, and
/// its settings in order.
public struct SettingSection: Sendable {
    public let object: String
    public let type: String?
    public let note: String
    public let entries: [SettingEntry]

    public init(_ object: String, type: String? = nil, note: String, _ entries: [SettingEntry]) {
        self.object = object
        self.type = type
        self.note = note
        self.entries = entries
    }

    /// `` `storage.<group>`, type `Redis` ``.
    public var heading: String { "`\(object)`" + (type.map { ", type `\($0)`" } ?? "") }
}
