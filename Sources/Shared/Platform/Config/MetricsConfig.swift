/// `auth_server.metrics`: where the supervisor serves `GET /metrics` for the whole server.
/// Off unless `port` is set. The address is bound at start; a reload that changes it is
/// reported and applies at the next restart.
package struct MetricsConfig: Sendable, Equatable {
    /// Nil: no metrics listener, and workers count nothing.
    package var port: Int?
    /// Loopback by default: the numbers name clients and routes, so exposing them is a choice.
    package var host: String

    package var isEnabled: Bool { port != nil }

    package init(port: Int? = nil, host: String = "127.0.0.1") {
        self.port = port
        self.host = host
    }

    init(reader: inout ConfigReader, serverHost: String, serverPort: Int) {
        host = reader.read(Settings.Metrics.host)
        port = reader.read(Settings.Metrics.port)
        if let port, port == serverPort, host == serverHost || host == "0.0.0.0" || serverHost == "0.0.0.0" {
            reader.fail(Settings.Metrics.port.key, "must differ from auth_server.port (\(serverPort)): the metrics listener is the supervisor's own")
        }
    }
}
