/// A part of the configuration as the settings reference groups it: the object its keys are in,
/// the backend or site type they apply to (nil: every type), a line on what they are for, and
/// its settings in order.
package struct SettingSection: Sendable {
    package let object: String
    package let type: String?
    package let note: String
    package let entries: [SettingEntry]

    package init(_ object: String, type: String? = nil, note: String, _ entries: [SettingEntry]) {
        self.object = object
        self.type = type
        self.note = note
        self.entries = entries
    }

    /// `` `storage.<group>`, type `Redis` ``.
    package var heading: String { "`\(object)`" + (type.map { ", type `\($0)`" } ?? "") }
}
