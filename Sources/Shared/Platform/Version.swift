/// The release this build belongs to, shown by `--version` and in logs at start-up.
public enum OAuth2ServerVersion {
    public static let current = "0.1.0"
}
