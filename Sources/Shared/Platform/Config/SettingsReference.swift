/// The settings reference in Markdown, made from `Settings`: what `oauth2-server
/// config-reference` prints and docs/settings.md holds, so the documentation says what the
/// readers do.
package enum SettingsReference {
    package static var markdown: String {
        var lines = [
            "# Settings reference",
            "",
            "Every key of the configuration files, as the server declares and reads it",
            "(`Sources/Shared/Platform/Config/Settings.swift`). Generated: change the declarations,",
            "then run `oauth2-server config-reference > docs/settings.md`. What the keys are for, and",
            "how the files are found and merged, is in [operators.md](operators.md); the clients",
            "file's keys are in [operators.md](operators.md#client_credentials-and-the-clients-file).",
            "",
            "Numbers and booleans may be written as strings (`\"8081\"`, `\"true\"`). A key in angle",
            "brackets (`<group>`) is a name of your choosing. Reload says what a SIGHUP does when the",
            "value changes:",
            "",
            "- **\(ReloadEffect.inPlace.label)**: the running supervisor and workers apply it; no new workers.",
            "- **\(ReloadEffect.rollsWorkers.label)**: new workers start on the new configuration and the old ones",
            "  finish their requests and exit; no request is dropped.",
            "- **\(ReloadEffect.needsRestart.label)**: used only when the supervisor starts; a reload starts no",
            "  workers for it, and it applies at the next restart.",
            "",
            "A change to a key of each kind in one reload does what each says. A renewed TLS certificate",
            "or key (the files `ssl_cert` and `ssl_key` name) rolls the workers too; the environment",
            "(`OAUTH2_CONFIG_DIR`, `NODE_CONFIG_DIR`, `OAUTH2_ENV`, `NODE_ENV`) needs a restart.",
        ]
        for section in Settings.sections {
            lines += ["", "## \(section.heading)", "", section.note, "", "| key | type | default | reload | description |", "|---|---|---|---|---|"]
            lines += section.entries.map { entry in
                "| `\(entry.key)` | \(entry.type) | \(entry.defaultText) | \(entry.reload.label) | \(entry.summary) |"
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
