/// The release this build belongs to, shown by `--version` and in logs at start-up.
package enum OAuth2ServerVersion {
    package static let current = "0.1.0"
}
