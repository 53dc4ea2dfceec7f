/// Bounds on what a request may make the server hold or echo. A `state`, `scope` or
/// `redirect_uri` of megabytes would be stored with a transaction, rendered into a page or
/// sent back in a redirect; no legitimate client needs more than a couple of kilobytes.
enum OAuthLimits {
    static let parameterBytes = 2048

    static func isOversized(_ name: String, _ values: [String]) -> Bool {
        name.utf8.count > parameterBytes || values.contains { $0.utf8.count > parameterBytes }
    }

    /// A parameter's name for an error message: short enough to show, whatever was sent.
    static func shown(_ name: String) -> String {
        name.utf8.count <= 64 ? name : String(name.prefix(64)) + "…"
    }
}
