import Foundation
import TestSupport
import Testing

extension IntegrationTests {
    /// Several hosts behind a load balancer, sharing Redis (with Sentinel) and PostgreSQL, as
    /// deploy/multi-host.md sets them up: whatever one host does, every host sees at once, and
    /// faults under steady load cost only the requests they must. Network namespaces need root.
    @Suite(.serialized, .enabled(if: geteuid() == 0, "network namespaces need root"))
    struct MultiHostTests {
        /// Sign-in, consent, exchange, refresh and revocation each on another host, then the
        /// same through the load balancer; consent remembered and a throttling budget spent on
        /// one host count on all; the secrets and signing keys are the same everywhere.
        @Test func oneFlowAcrossEveryHost() async throws {
            try await MultiHostTopology.run { topology in
                let servers = topology.servers
                let (a, b, c) = (servers[0], servers[1], servers[2])

                // The same signing keys everywhere: one JWKS, whichever host serves it.
                var keySets: [[[String: Any]]] = []
                for server in servers { keySets.append(try await Self.jwks(server.baseURL)) }
                #expect(!keySets[0].isEmpty)
                #expect(keySets.allSatisfy { Self.kids($0) == Self.kids(keySets[0]) }, "every host publishes the same keys")

                // Sign in on A (the session secret signs the cookie), consent on B, exchange on C.
                var driver = OAuthDriver(server: a)
                try await driver.signIn(OAuthDriver.newUser())
                driver.baseURL = b.baseURL
                let code = try await driver.code(OAuthDriver.codeRequest(scope: "openid read-only"))
                driver.baseURL = c.baseURL
                let tokens = try await driver.exchange(code)
                let access = try #require(tokens["access_token"] as? String)
                let refresh = try #require(tokens["refresh_token"] as? String)
                let idToken = try #require((tokens["id_token"] as? String).flatMap(SignedJWT.init), "an ID token from C")
                #expect(idToken.verifies(with: keySets[0]), "C's ID token verifies with A's published keys")
                for server in servers {
                    driver.baseURL = server.baseURL
                    #expect(try await driver.api("profile", token: access).status == 200, "works on \(server.address)")
                }

                // Refresh on A, revoke on B: then the tokens are dead on all three at once.
                driver.baseURL = a.baseURL
                let refreshed = try OAuthDriver.json(try await driver.post(
                    [("grant_type", "refresh_token"), ("refresh_token", refresh)], basic: ("test", "hunter2")))
                let newAccess = try #require(refreshed["access_token"] as? String)
                let newRefresh = try #require(refreshed["refresh_token"] as? String)
                driver.baseURL = b.baseURL
                let revoked = try await driver.post([("token", newRefresh), ("token_type_hint", "refresh_token")], to: "/revoke", basic: ("test", "hunter2"))
                try #require(revoked.status == 200)
                let signedIn = driver
                let afterRevocation = try await servers.concurrentMap { server in
                    var onHost = signedIn
                    onHost.baseURL = server.baseURL
                    let call = try await onHost.api("profile", token: newAccess).status
                    let introspection = try OAuthDriver.json(try await onHost.post(
                        [("token", newAccess)], to: "/introspect", basic: ("service", FlowClients.secrets["service"]!)))
                    let refreshAgain = try await onHost.post([("grant_type", "refresh_token"), ("refresh_token", newRefresh)], basic: ("test", "hunter2"))
                    return (call, introspection["active"] as? Bool, refreshAgain.status)
                }
                for (server, (call, active, refreshStatus)) in zip(servers, afterRevocation) {
                    #expect(call == 401 && active == false && refreshStatus == 400, "\(server.address): still alive after the revocation")
                }

                // Consent given on A (its code redeemed on B) is remembered on C: the code comes
                // without the consent page.
                let remember = OAuthDriver.codeRequest(client: MultiHostClients.remembering, redirect: FlowClients.otherRedirect)
                driver.baseURL = a.baseURL
                #expect(try await driver.authorize(remember).status == 200, "the consent page, the first time")
                let rememberedCode = try await driver.code(remember)
                driver.baseURL = b.baseURL
                _ = try await driver.exchange(rememberedCode, client: MultiHostClients.remembering, redirect: FlowClients.otherRedirect)
                driver.baseURL = c.baseURL
                let again = try await driver.authorize(remember)
                #expect(again.status == 302 && OAuthDriver.query(of: again.header("Location") ?? "")["code"] != nil, "remembered on C: \(again.status)")

                // A throttling budget spent across the hosts: three wrong passwords, one a host,
                // and the right one then waits, on any host.
                let victim = OAuthDriver.newUser("victim")
                for server in servers {
                    var browser = Browser(server: server)
                    #expect(try await browser.signIn(victim, password: "wrong").status == 401)
                }
                var browser = Browser(server: a)
                #expect(try await browser.signIn(victim).status == 429, "the budget is spent on every host")

                // Through the load balancer, round robin and no stickiness: the whole flow works
                // and its requests land on every host.
                let before = await topology.loadBalancer.requestsSent()
                var viaBalancer = OAuthDriver(server: a)
                viaBalancer.baseURL = topology.loadBalancer.baseURL
                try await viaBalancer.signIn(OAuthDriver.newUser())
                let balanced = try await viaBalancer.exchange(try await viaBalancer.code())
                let balancedAccess = try #require(balanced["access_token"] as? String)
                let balancedRefresh = try #require(balanced["refresh_token"] as? String)
                #expect(try await viaBalancer.api("profile", token: balancedAccess).status == 200)
                let renewed = try await viaBalancer.post([("grant_type", "refresh_token"), ("refresh_token", balancedRefresh)], basic: ("test", "hunter2"))
                #expect(renewed.status == 200)
                let renewedRefresh = try #require(try OAuthDriver.json(renewed)["refresh_token"] as? String)
                #expect(try await viaBalancer.post([("token", renewedRefresh)], to: "/revoke", basic: ("test", "hunter2")).status == 200)
                #expect(try await viaBalancer.api("profile", token: balancedAccess).status == 401)
                let after = await topology.loadBalancer.requestsSent()
                for name in MultiHostTopology.serverHostNames {
                    #expect((after[name] ?? 0) > (before[name] ?? 0), "\(name) served part of the flow: \(before) → \(after)")
                }
            }
        }

        /// Steady load through the load balancer while, one after another, a server host is cut
        /// off, the Redis primary is killed, PostgreSQL restarts and every host reloads. Prints
        /// the requests sent and failed in each window.
        @Test func faultsUnderSteadyLoad() async throws {
            try await MultiHostTopology.run { topology in
                let balancer = topology.loadBalancer!
                let lanes = 8
                let load = SteadyLoad(baseURL: balancer.baseURL, lanes: lanes, firstWindow: Window.steady)
                var heldTokens = 0
                try await load.whileRunning { heldTokens = try await Self.runFaults(topology, load, lanes: lanes) }
                print("Requests through the load balancer, by fault window:\n\(load.table())")
                for window in [Window.steady, Window.hostBack, Window.afterFailover, Window.afterPostgres, Window.rollingReload, Window.afterReload] {
                    let failed = load.outcomes(in: window).filter(\.failed)
                    #expect(failed.isEmpty, "\(window): \(failed.count) failed, statuses \(failed.map(\.status))")
                }
                // Every token answered has its audit record, the PostgreSQL restart notwithstanding.
                // The record is written beside the token, so a request refused because the token
                // could not be stored (Redis switching) may leave one too: at most one each.
                let answered = load.tokens(answeredIn: Set(load.windows)).count
                let refused = load.allOutcomes.filter { $0.request == .token && $0.failed }.count
                let recorded = Int(try topology.postgres.query(
                    "SELECT count(*) FROM oauth2_audit WHERE event = 'client_credentials' AND client_id = 'service'")) ?? -1
                print("audit records of client-credentials tokens: \(recorded) for \(answered) answered (and \(heldTokens) held ones) and \(refused) refused")
                #expect(recorded >= answered + heldTokens, "\(answered + heldTokens - recorded) tokens answered without an audit record")
                #expect(recorded <= answered + heldTokens + refused, "no record without a token request")
            }
        }

        enum Window {
            static let steady = "steady"
            static let hostCut = "host-b cut off mid-flow"
            static let hostBack = "host-b back"
            static let redisSwitch = "Redis primary killed"
            static let afterFailover = "after the failover"
            static let postgresDown = "PostgreSQL restarting"
            static let afterPostgres = "after PostgreSQL"
            static let rollingReload = "SIGHUP, host by host"
            static let afterReload = "after the reloads"
        }

        /// Returns how many tokens the requests held on A and C got (besides the load's).
        private static func runFaults(_ topology: MultiHostTopology, _ load: SteadyLoad, lanes: Int) async throws -> Int {
            let balancer = topology.loadBalancer!
            let servers = topology.servers
            func settle(_ window: String, requests: Int = 40) async {
                let enough = await eventually(timeout: .seconds(30)) { load.outcomes(in: window).count >= requests }
                #expect(enough, "\(window): only \(load.outcomes(in: window).count) requests in 30 s")
            }
            await settle(Window.steady)

            // A user is half-way through signing in when host B is cut off: the requests B had
            // taken fail, the rest (and the user's next steps) go to A and C. The load's requests
            // last milliseconds, so to be sure B has one when it goes, token requests are sent
            // through the balancer with the end of their body held back until one is held on B
            // (counted while the load pauses, so that HAProxy's count is of held requests only).
            var user = OAuthDriver(server: servers[0])
            user.baseURL = balancer.baseURL
            try await user.signIn(OAuthDriver.newUser())
            let credentials = Data("service:\(FlowClients.secrets["service"]!)".utf8).base64EncodedString()
            var held: [HeldRequest] = []
            var heldOnB = 0
            try #require(await load.pause(), "the load paused")
            while heldOnB == 0, held.count < 9 {
                held.append(try HeldRequest(host: balancer.host.address, port: LoadBalancerHost.port, credentials: credentials))
                let count = held.count
                // HAProxy forwards a request once it has its headers: wait until it counts it.
                _ = await eventually(timeout: .seconds(5), interval: .milliseconds(20)) { await balancer.requestsInFlight() == count }
                heldOnB = await balancer.requestsInFlight(on: "host-b")
            }
            load.resume()
            try #require(heldOnB >= 1, "a request held in flight on B (\(held.count) held)")
            load.open(Window.hostCut, fault: true)
            let hostB = topology.host(of: servers[1])
            try topology.network.cut(hostB)
            #expect(await eventually(timeout: .seconds(10)) { await balancer.serversUp().contains("host-b") == false }, "HAProxy took B out")
            let tokens = try await user.exchange(try await user.code())
            let access = try #require(tokens["access_token"] as? String)
            #expect(try await user.api("profile", token: access).status == 200, "the user's flow goes on through A and C")
            let heldStatuses = try await held.concurrentMap { await $0.finish() }
            #expect(heldStatuses.filter { $0 != 200 }.count == heldOnB,
                "the requests held on B fail, those held on A and C are answered: \(heldOnB) on B, statuses \(heldStatuses)")
            await settle(Window.hostCut)
            let cutFailures = load.outcomes(in: Window.hostCut).filter(\.failed)
            #expect(cutFailures.count <= lanes, "only the requests in flight on B fail: \(cutFailures.count) of at most \(lanes)")
            load.open(Window.hostBack)
            try topology.network.reconnect(hostB)
            #expect(await eventually(timeout: .seconds(20)) { await balancer.serversUp().count == servers.count }, "B back in")
            await settle(Window.hostBack)

            // The Redis primary dies. Every token answered before is on a replica (wait_replicas: 1).
            let answeredBefore = load.tokens(answeredIn: [Window.steady, Window.hostCut, Window.hostBack])
            load.open(Window.redisSwitch, fault: true)
            let oldPrimary = try topology.redis.killPrimary()
            #expect(await eventually(timeout: .seconds(30), interval: .milliseconds(200)) { topology.redis.hasFailedOver(from: oldPrimary) },
                "the sentinels promoted a replica")
            try await expectStorageHealthyOnEveryHost(servers)
            load.open(Window.afterFailover)
            await settle(Window.afterFailover)
            let switchFailures = load.outcomes(in: Window.redisSwitch).filter(\.failed)
            #expect(switchFailures.allSatisfy { $0.status == 503 }, "503s during the switch, nothing else: \(switchFailures.map(\.status))")
            let checked = Array(answeredBefore.suffix(300))
            let alive = try await checked.concurrentMap(lanes: lanes) { await load.introspect($0).active }
            #expect(!checked.isEmpty && alive.allSatisfy { $0 }, "\(alive.filter { !$0 }.count) of \(checked.count) tokens answered before the kill were lost")

            // PostgreSQL restarts: 503 while it is away, then recovery without a reload.
            load.open(Window.postgresDown, fault: true)
            try topology.postgres.stop()
            #expect(await eventually(timeout: .seconds(10)) { load.outcomes(in: Window.postgresDown).contains { $0.status == 503 } },
                "the outage shows as 503")
            try topology.postgres.start()
            try await expectStorageHealthyOnEveryHost(servers)
            load.open(Window.afterPostgres)
            await settle(Window.afterPostgres)
            let postgresFailures = load.outcomes(in: Window.postgresDown).filter(\.failed)
            #expect(postgresFailures.allSatisfy { $0.status == 503 }, "503s while PostgreSQL is away, nothing else: \(postgresFailures.map(\.status))")

            // Every host reloads in turn (a change that rolls its workers): no request fails.
            load.open(Window.rollingReload)
            for (round, server) in servers.enumerated() {
                let old = Set(server.workers)
                try server.writeConfig("runtime.json", ["auth_server": ["idle_timeout": 20 + round]])
                server.signal(SIGHUP)
                #expect(await server.waitForLog("reload complete", timeout: .seconds(30)), "\(server.address) reloaded")
                #expect(await eventually { Set(server.workers).isDisjoint(with: old) && server.workers.count == MultiHostTopology.workersPerHost })
                await settle(Window.rollingReload, requests: load.outcomes(in: Window.rollingReload).count + 10)
            }
            load.open(Window.afterReload)
            await settle(Window.afterReload, requests: 20)
            return heldStatuses.filter { $0 == 200 }.count
        }

        /// Each host's readiness check (every storage group answers) passes again, six times in
        /// a row: each worker answers from its own probe, and six fresh connections almost surely
        /// reach both workers.
        static func expectStorageHealthyOnEveryHost(_ servers: [ServerProcess]) async throws {
            for server in servers {
                var streak = 0
                let healthy = await eventually(timeout: .seconds(30), interval: .milliseconds(100)) {
                    let ok = (try? await TestHTTP.get(server.baseURL + "/healthcheck/storage"))?.status == 200
                    streak = ok ? streak + 1 : 0
                    return streak >= 6
                }
                try #require(healthy, "\(server.address): storage healthy again")
            }
        }

        /// deploy/haproxy.cfg.example is a configuration HAProxy accepts (with a plain listener
        /// for its TLS one, which needs a certificate, and a runtime socket path of the test's).
        @Test func theExampleLoadBalancerConfigurationIsValid() throws {
            let example = try String(
                contentsOf: TestEnvironment.repository.appendingPathComponent("deploy/haproxy.cfg.example"), encoding: .utf8)
            let tls = try #require(example.firstMatch(of: #/bind :443 ssl [^\n]*/#), "the TLS listener")
            let socket = NSTemporaryDirectory() + "haproxy-example-\(getpid()).sock"
            let testable = example.replacing(tls.output, with: "bind 127.0.0.1:8443")
                .replacing("/run/haproxy/admin.sock", with: socket)
            let path = NSTemporaryDirectory() + "haproxy-example-\(getpid()).cfg"
            try testable.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let (status, output) = try Command.output("/usr/sbin/haproxy", ["-c", "-f", path])
            #expect(status == 0, "haproxy -c: \(output)")
        }

        static func jwks(_ baseURL: String) async throws -> [[String: Any]] {
            let response = try await TestHTTP.get(baseURL + "/jwks")
            try #require(response.status == 200)
            return try #require(OAuthDriver.json(response)["keys"] as? [[String: Any]])
        }

        static func kids(_ keys: [[String: Any]]) -> Set<String> { Set(keys.compactMap { $0["kid"] as? String }) }
    }
}
