/// Keeps identifiers that grant access (session ids, tokens) out of logs in usable form.
package enum Redaction {
    /// The Node original's `short_sid` form: first four and last four characters, so two log
    /// lines can be correlated without the value being replayable.
    package static func shortened(_ secret: some StringProtocol) -> String {
        guard secret.count > 10 else { return "…" }
        return "\(secret.prefix(4))..\(secret.suffix(4))"
    }

    /// A session id as the access log shows it, following `logging.short_sid`.
    package static func sessionID(_ sid: some StringProtocol, short: Bool = LogSettings.shared.shortSID) -> String {
        short ? shortened(sid) : String(sid)
    }
}
