import DummyResourceServerApp
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import SharedPlatform
import SharedStorage
import TestSupport
import Testing
import WorkerApp

/// One worker's HTTP stack in this process, for endpoint tests that need no process of their
/// own: the router, middleware and responder `oauth2-worker` serves (`WorkerBoot.Stack`, built
/// from a test configuration as the worker builds it), on an SQLite file of its own, with the
/// stub site (`resource_server.type` "dummy") on a loopback port. Requests go through
/// Hummingbird's testing client straight to the responder; what only a socket shows (framing,
/// connections, TLS) stays with the process tests.
struct WorkerHarness: HTTPTransport {
    /// The issuer: what pages and tokens name, and where a test's URLs start.
    let baseURL: String
    /// What the worker logged, at the level the test asked for.
    let log: CapturedLog
    /// The audit trail the worker appends its decisions to, read as operators read it.
    let audit: any AuditLog
    /// The SQLite file the worker keeps its sessions in (with every other group, unless the
    /// test's overrides move them), as its configuration names it; nil when sessions are elsewhere.
    let sessionDatabase: String?
    private let client: any TestClientProtocol

    /// Runs `body` against a fresh worker registering `clients`, with `overrides` merged into the
    /// test configuration and its log kept from `logLevel` up; closes its stores and stops the
    /// site afterwards.
    static func run<Value: Sendable>(
        clients: String = FlowClients.file, overrides: [String: Any] = [:], logLevel: Logger.Level = .notice,
        _ body: @Sendable (WorkerHarness) async throws -> Value
    ) async throws -> Value {
        let directory = NSTemporaryDirectory() + "worker-harness-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = TestConfig.defaults(port: 8081, workers: 1, logLevel: "notice", directory: directory).merging(overrides)
        try TestConfig.write(config, to: "\(directory)/default.json")
        try clients.write(toFile: "\(directory)/clients.json", atomically: true, encoding: .utf8)
        let log = CapturedLog()
        let logger = Logger(label: "worker-harness") { _ in log.handler(level: logLevel) }
        let siteLogger = Logger(label: "resource-server") { _ in SwiftLogNoOpLogHandler() }
        let site = Application(
            router: DummySite(tokens: SiteTokenSigner(secret: SiteTokenSigner.developmentSecret), logger: siteLogger).buildRouter(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: siteLogger)
        return try await site.test(.live) { siteClient in
            let sitePort = try #require(siteClient.port)
            // The site's port is known only now: the environment's layer names it.
            try TestConfig.write(["resource_server": ["port": sitePort]], to: "\(directory)/test.json")
            let serverConfig = try ServerConfig.load(from: ConfigLocation(directory: directory, environmentName: "test"))
            // The supervisor migrates the stores once before any worker starts.
            try await StorageMigrator.migrate(serverConfig.storage, logger: logger)
            let stack = try await WorkerBoot.Stack.build(
                config: serverConfig, checked: try await BootChecks.run(config: serverConfig), logger: logger)
            let worker = Application(responder: StackResponder(stack: stack), logger: logger)
            do {
                let value = try await worker.test(.router) { client in
                    try await body(WorkerHarness(
                        baseURL: serverConfig.authServer.url, log: log, audit: stack.audit,
                        sessionDatabase: Self.sqlitePath(of: .session, in: serverConfig), client: client))
                }
                await stack.shutdown()
                return value
            } catch {
                await stack.shutdown()
                throw error
            }
        }
    }

    private static func sqlitePath(of group: StorageGroup, in config: ServerConfig) -> String? {
        guard case .sqlite(let path, _) = config.storage.backend(for: group) else { return nil }
        return path
    }

    /// GET `path` with no cookies.
    func get(_ path: String, headers: [(String, String)] = []) async throws -> TestSupport.TestResponse {
        try await send(baseURL + path, method: .GET, headers: headers, body: nil)
    }

    func send(_ url: String, method: HTTPMethod, headers: [(String, String)], body: [UInt8]?) async throws -> TestSupport.TestResponse {
        guard url.hasPrefix(baseURL) else { throw HarnessMisuse("\(url) is not on this worker (\(baseURL))") }
        var fields = HTTPFields()
        for (name, value) in headers {
            guard let name = HTTPField.Name(name) else { throw HarnessMisuse("\(name) is no header name") }
            fields.append(HTTPField(name: name, value: value))
        }
        let response = try await client.executeRequest(
            uri: String(url.dropFirst(baseURL.count)), method: HTTPRequest.Method(method.rawValue)!, headers: fields,
            body: body.map { ByteBuffer(bytes: $0) })
        var answered = HTTPHeaders()
        for field in response.headers { answered.add(name: field.name.rawName, value: field.value) }
        return TestSupport.TestResponse(status: Int(response.status.code), headers: answered, body: String(buffer: response.body))
    }
}

extension Browser {
    /// A browser of the in-process worker.
    init(_ worker: WorkerHarness, sid: String? = nil) {
        self.init(transport: worker, baseURL: worker.baseURL, sid: sid)
    }
}

extension OAuthDriver {
    /// A driver of the in-process worker.
    init(_ worker: WorkerHarness) {
        self.init(browser: Browser(worker))
    }
}

/// The worker's responder as Hummingbird's testing client calls a responder: each request as if
/// it came on a connection of its own from a loopback client.
private struct StackResponder: HTTPResponder {
    typealias Context = WorkerRequestContext
    let stack: WorkerBoot.Stack

    func respond(to request: Request, context: WorkerRequestContext) async throws -> Response {
        let channel = NIOAsyncTestingChannel()
        channel.remoteAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 50000)
        return await stack.respond(to: request, channel: channel)
    }
}

struct HarnessMisuse: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
