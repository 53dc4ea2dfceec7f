import Foundation
import SharedPlatform
import Testing

struct ClientRegistryTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func registry(_ json: String) throws -> ClientRegistry {
        try ClientRegistry(path: "/etc/oauth2/clients.json", value: JSONValue.parse(Data(json.utf8)))
    }

    @Test func theNodeOriginalsClientsFileLoadsUnchangedAndItsSHA1SecretsVerify() throws {
        let clients = try ClientRegistry.load(path: Self.repository.appendingPathComponent("etc/clients.json.example").path)
        let test = try #require(clients.client("test"))
        #expect(test.name == "Automated tests")
        #expect(test.allowCodeGrant && test.allowImplicitGrant)
        #expect(test.secret?.verify("hunter2", clientID: "test") == true)
        #expect(test.secret?.verify("hunter3", clientID: "test") == false)
        #expect(test.secret?.verify("hunter2", clientID: "sp-demo") == false, "the client id is part of the hash")
        #expect(clients.client("sp-demo")?.secret?.verify("hunter2", clientID: "sp-demo") == true)
        #expect(clients.warnings.isEmpty)
    }

    @Test func theCommentedModernExampleLoadsAsDocumented() throws {
        let clients = try ClientRegistry.load(path: Self.repository.appendingPathComponent("etc/clients.modern.json.example").path)
        let web = try #require(clients.client("partner-web"))
        #expect(web.secret?.verify("change-me-to-a-long-random-secret", clientID: "partner-web") == true)
        #expect(web.requirePKCE && !web.isPublic && web.allowRefreshTokens)
        let app = try #require(clients.client("partner-app"))
        #expect(app.isPublic && app.requirePKCE && app.allowRefreshTokens && !app.allowImplicitGrant)
        #expect(app.allowsRedirect("com.partner.app:/oauth/callback"))
        let service = try #require(clients.client("billing-service"))
        #expect(service.allowClientCredentialsGrant && service.allowedScopes == ["read-only"] && !service.allowCodeGrant)
        #expect(clients.client("api-gateway")?.allowIntrospection == true)
        #expect(clients.warnings.isEmpty)
    }

    @Test func modernSecretsRoundTripAndRejectTampering() throws {
        let hashed = ClientSecret.hash(secret: "s3cret-value", clientID: "app")
        let stored = hashed.stored
        #expect(stored.hasPrefix("hmac-sha256$"))
        let parsed = try #require(ClientSecret(stored: stored, salt: nil))
        #expect(parsed.verify("s3cret-value", clientID: "app"))
        #expect(!parsed.verify("s3cret-valuf", clientID: "app"))
        #expect(!parsed.verify("s3cret-value", clientID: "other"))
        #expect(ClientSecret.hash(secret: "s3cret-value", clientID: "app").stored != stored, "a fresh salt each time")
        var tampered = Array(stored)
        tampered[tampered.count - 2] = tampered[tampered.count - 2] == "A" ? "B" : "A"
        #expect(ClientSecret(stored: String(tampered), salt: nil)?.verify("s3cret-value", clientID: "app") != true)
    }

    @Test func redirectURIsMatchExactlyCharacterForCharacter() throws {
        let clients = try registry(#"[{"client_id": "c", "allow_code_grant": true, "valid_redirects": ["http://localhost:8080/cb"]}]"#)
        let client = try #require(clients.client("c"))
        #expect(client.allowsRedirect("http://localhost:8080/cb"))
        for attempt in [
            "http://localhost:8080/cb/", "http://localhost:8080/cb/../evil", "http://localhost:8080/CB",
            "http://LOCALHOST:8080/cb", "https://localhost:8080/cb", "http://localhost:8080/cb?next=x",
            "http://localhost:8080/cb#frag", "http://localhost:8080@evil.example/cb", "http://evil.example/?http://localhost:8080/cb",
            "http://localhost:8080/cb%2F", "http://localhost:80801/cb", "",
        ] {
            #expect(!client.allowsRedirect(attempt), "\(attempt) must not match")
        }
    }

    @Test func theNodeOriginalsWildcardIsAcceptedWithAWarning() throws {
        let clients = try registry(#"[{"client_id": "demo", "allow_code_grant": true, "valid_redirects": ["*"]}]"#)
        #expect(clients.client("demo")?.allowsRedirect("https://anything.example/") == true)
        #expect(clients.warnings.count == 1)
        #expect(clients.warnings[0].contains("\"demo\" accepts any redirect URI"))
    }

    @Test func aClientWithoutASecretIsPublicAndNeedsPKCE() throws {
        let clients = try registry(#"[{"client_id": "spa", "allow_code_grant": true, "valid_redirects": ["https://app.example/cb"]}]"#)
        let spa = try #require(clients.client("spa"))
        #expect(spa.isPublic)
        #expect(spa.requirePKCE)
        #expect(!spa.allowRefreshTokens)
        let confidential = try registry(#"[{"client_id": "web", "client_secret": "\#(ClientSecret.hash(secret: "x", clientID: "web").stored)", "allow_code_grant": true, "valid_redirects": ["https://web.example/cb"]}]"#)
        #expect(confidential.client("web")?.requirePKCE == false)
        #expect(confidential.client("web")?.allowRefreshTokens == true)
    }

    @Test func mistakesNameTheFileTheEntryAndTheKey() throws {
        do {
            _ = try registry("""
                [{"client_id": "a", "allow_code_grant": true, "valid_redirects": ["https://a.example/cb#x", "relative/path"]},
                 {"client_id": "c", "allow_code_grant": true, "valid_redirects": ["https://c.example/"]},
                 {"name": "no id"},
                 {"client_id": "b", "client_secret": "plaintext", "client_salt": "s", "allow_implicit_grant": "yes"}]
                """)
            Issue.record("expected problems")
        } catch let error as ConfigError {
            let text = error.description
            #expect(text.contains("/etc/oauth2/clients.json: [0].valid_redirects: item 0 must be an absolute URI without a fragment"))
            #expect(text.contains("[0].valid_redirects: item 1 must be an absolute URI"))
            #expect(!text.contains("[1]"), "entry 1 is valid")
            #expect(text.contains("[2].client_id: is required"))
            #expect(text.contains("[3].client_secret: must be the Node original's 40-hex SHA-1"))
            #expect(text.contains("[3].allow_implicit_grant: must be true or false"))
        }
        #expect(throws: ConfigError.self) { try registry(#"{"client_id": "x"}"#) }
    }

    @Test func aClientIDRegisteredTwiceIsRefusedAtItsSecondEntry() throws {
        // Two valid entries that differ only in what the operator meant: neither may silently win.
        do {
            _ = try registry("""
                [{"id": "1", "client_id": "shop", "allow_code_grant": true, "valid_redirects": ["https://shop.example/cb"]},
                 {"id": "2", "client_id": "other", "allow_code_grant": true, "valid_redirects": ["https://other.example/cb"]},
                 {"id": "3", "client_id": "shop", "allow_code_grant": true, "valid_redirects": ["https://evil.example/cb"]}]
                """)
            Issue.record("a client_id registered twice was accepted")
        } catch let error as ConfigError {
            #expect(error.description == #"/etc/oauth2/clients.json: [2].client_id: "shop" is registered twice"#, "\(error.description)")
        }
        // The same two entries under different client ids load.
        let distinct = try registry("""
            [{"id": "1", "client_id": "shop", "allow_code_grant": true, "valid_redirects": ["https://shop.example/cb"]},
             {"id": "3", "client_id": "shop-2", "allow_code_grant": true, "valid_redirects": ["https://evil.example/cb"]}]
            """)
        #expect(distinct.client("shop")?.allowsRedirect("https://shop.example/cb") == true)
        #expect(distinct.client("shop")?.allowsRedirect("https://evil.example/cb") == false)
    }

    /// Found by scripts/fuzz (config): a number too large for Int64 where text is expected trapped.
    @Test func anyNumberIsReadAsTextWhereTextIsExpected() throws {
        let clients = try registry(#"[{"client_id": 1e19, "name": 42, "id": -0.5}, {"client_id": 7}]"#)
        #expect(clients.client("1e+19")?.name == "42")
        #expect(clients.client("1e+19")?.id == "-0.5")
        #expect(clients.client("7") != nil)
    }

    @Test func redirectsUseHTTPSOrTheLoopbackUnlessAClientAllowsOtherwise() throws {
        let accepted = try registry("""
            [{"client_id": "web", "allow_code_grant": true,
              "valid_redirects": ["https://web.example/cb", "http://localhost:8080/cb", "http://127.0.0.1:53682/cb", "http://[::1]:8080/cb", "com.example.app:/cb"]}]
            """)
        #expect(accepted.client("web")?.validRedirects.count == 5)
        #expect(accepted.warnings.isEmpty)
        do {
            _ = try registry("""
                [{"client_id": "web", "allow_code_grant": true, "valid_redirects": ["https://web.example/cb", "http://web.example/cb"]}]
                """)
            Issue.record("expected a problem")
        } catch let error as ConfigError {
            #expect(error.description.contains("[0].valid_redirects: item 1 (http://web.example/cb) must use https"), "\(error.description)")
        }
        let allowed = try registry("""
            [{"client_id": "intranet", "allow_code_grant": true, "allow_insecure_redirects": true, "valid_redirects": ["http://intranet.local/cb"]}]
            """)
        #expect(allowed.client("intranet") != nil)
        #expect(allowed.warnings.contains { $0.contains("\"intranet\" receives codes and tokens over plain http at http://intranet.local/cb") })
    }

    @Test func twoClientsMayNotShareAnInternalID() throws {
        // The review page revokes by `id`: unticking one would end the other's grants too.
        do {
            _ = try registry("""
                [{"id": "shop", "client_id": "shop-web", "allow_code_grant": true, "valid_redirects": ["https://shop.example/cb"]},
                 {"id": "shop", "client_id": "shop-app", "allow_code_grant": true, "valid_redirects": ["https://shop.example/app"]}]
                """)
            Issue.record("expected a problem")
        } catch let error as ConfigError {
            #expect(error.description.contains("[1].id: \"shop\" is the id of another client too"), "\(error.description)")
        }
    }
}
