/// What the supervisor and `rotate-keys` say when `auth_server.keys_secret` is not set.
package enum KeysSecretWarning {
    package static let text =
        "auth_server.keys_secret is not set: the signing keys are sealed with a key derived from auth_server.session_secret, so changing the session secret makes them unreadable; set keys_secret to a long random value of its own"
}
