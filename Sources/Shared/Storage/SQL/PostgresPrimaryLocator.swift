import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization
import SharedPlatform

/// Finds the read-write server among a PostgreSQL group's `hosts`: each is asked in order, on a
/// connection of its own, whether it takes writes (`SHOW transaction_read_only`, the question
/// libpq's `target_session_attrs=read-write` asks); the first that does is the primary. A
/// standby (or a server that cannot be reached) is skipped. Every host gets a bounded time.
struct PostgresPrimaryLocator: Sendable {
    /// What one host answered.
    enum Role: Sendable, Equatable {
        case primary
        case readOnly
        case unreachable(String)
    }

    /// The hosts asked, in order, and what each answered.
    struct Survey: Sendable, CustomStringConvertible {
        var answers: [(address: StorageBackendConfig.ServerAddress, role: Role)] = []

        var primary: StorageBackendConfig.ServerAddress? { answers.first { $0.role == .primary }?.address }

        /// `127.0.0.1:5433 is the primary (127.0.0.1:5432: read-only, a standby)`.
        var description: String {
            let skipped = answers.compactMap { answer -> String? in
                switch answer.role {
                case .primary: nil
                case .readOnly: "\(answer.address): read-only, a standby"
                case .unreachable(let reason): "\(answer.address): \(reason)"
                }
            }
            guard let primary else { return "no read-write server among the hosts: \(skipped.joined(separator: "; "))" }
            return "\(primary) is the primary" + (skipped.isEmpty ? "" : " (\(skipped.joined(separator: "; ")))")
        }
    }

    /// No host took writes; says what each answered.
    struct NoPrimary: Error, CustomStringConvertible {
        let survey: Survey
        var description: String { survey.description }
    }

    let options: StorageBackendConfig.PostgresOptions
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    /// Each host's connection and question together; a host that takes longer counts as unreachable.
    let limit: Duration
    private let tls: TLSContextCache?

    init(options: StorageBackendConfig.PostgresOptions, eventLoopGroup: any EventLoopGroup, logger: Logger, limit: Duration = .seconds(2)) {
        self.options = options
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.limit = limit
        self.tls = options.ssl ? TLSContextCache() : nil
    }

    /// Asks the hosts in order until one takes writes.
    func locate() async throws(NoPrimary) -> Survey {
        var survey = Survey()
        for address in options.candidates {
            let role = await role(of: address)
            survey.answers.append((address, role))
            if role == .primary { return survey }
        }
        throw NoPrimary(survey: survey)
    }

    /// Whether `address` answers, and whether it takes writes.
    func role(of address: StorageBackendConfig.ServerAddress) async -> Role {
        let limit = limit
        do {
            return try await withTimeout(limit, on: eventLoopGroup.next()) { [self] in
                let connection = try await PostgresConnection.connect(
                    on: eventLoopGroup.next(), configuration: try await configuration(for: address), id: 0, logger: logger
                ).get()
                return try await closing({ try? await connection.close().get() }) {
                    var readOnly = true
                    for try await value in try await connection.query("SHOW transaction_read_only", logger: logger).decode(String.self) {
                        readOnly = value != "off"
                    }
                    return readOnly ? .readOnly : .primary
                }
            }
        } catch is TimedOut {
            return .unreachable("no answer within \(limit)")
        } catch {
            return .unreachable(PostgresTrouble.reason(error))
        }
    }

    /// How to connect to `address`; `connectTimeout` defaults to the time a host has to answer a survey.
    func configuration(
        for address: StorageBackendConfig.ServerAddress, connectTimeout: Duration? = nil
    ) async throws -> PostgresConnection.Configuration {
        var mode = PostgresConnection.Configuration.TLS.disable
        if let tls { mode = .require(try await tls.context()) }
        var configuration = PostgresConnection.Configuration(
            host: address.host, port: address.port, username: options.user,
            password: options.password.isEmpty ? nil : options.password, database: options.database, tls: mode)
        configuration.options.connectTimeout = TimeAmount(connectTimeout ?? limit)
        return configuration
    }
}

/// The TLS context of the locator's connections, made once, off the event loops: making one
/// reads the system's trusted certificates from disk.
private final class TLSContextCache: Sendable {
    private let made = Mutex<NIOSSLContext?>(nil)

    func context() async throws -> NIOSSLContext {
        if let context = made.withLock({ $0 }) { return context }
        let context = try await NIOThreadPool.singleton.runIfActive { try NIOSSLContext(configuration: .makeClientConfiguration()) }
        made.withLock { $0 = context }
        return context
    }
}
