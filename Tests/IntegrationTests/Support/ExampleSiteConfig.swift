import TestSupport

extension ExampleSiteProcess {
    /// The `resource_server` section that points a server at this site (type "http"): the
    /// gateway's credential, sign-in at /session, and two functions, `profile` and `update_avatar`.
    func resourceServer(sendTokenAs: String = "cookie", name: String = "remember_me") -> [String: Any] {
        [
            "type": "http", "host": "127.0.0.1", "port": port, "basic_auth": "gateway:s3cret",
            "login": ["path": "/session", "username_field": "email", "token_cookie": "remember_me"],
            "site_token": ["send_as": sendTokenAs, "name": name],
            "api": [
                "profile": ["scope": "read-only", "method": "GET", "path": "/user/info"],
                "update_avatar": ["scope": "read-write", "method": "POST", "path": "/user/{user_id}/avatar"],
            ],
        ]
    }
}
