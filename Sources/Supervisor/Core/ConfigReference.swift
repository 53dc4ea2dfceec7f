import ArgumentParser
import SharedPlatform

/// `oauth2-server config-reference`: every configuration key as the server declares and reads
/// it, in Markdown. docs/settings.md is this output, and a test keeps it so.
struct ConfigReference: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config-reference",
        abstract: "Print every configuration key (type, default, what a reload does with it) as Markdown.",
        discussion: "Reads no configuration. docs/settings.md is its output: oauth2-server config-reference > docs/settings.md"
    )

    func run() {
        print(SettingsReference.markdown, terminator: "")
    }
}
