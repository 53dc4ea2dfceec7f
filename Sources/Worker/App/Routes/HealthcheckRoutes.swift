import Foundation
import Hummingbird
import SharedStorage
import Synchronization

/// Health checks for load balancers and operators.
enum HealthcheckRoutes {
    static func add(to router: Router<WorkerRequestContext>, storage: StorageRegistry) {
        // Liveness, as the Node original answers it: 200 with the time in milliseconds.
        router.get("/healthcheck") { _, _ -> Response in
            let millis = Int64(Date().timeIntervalSince1970 * 1000)
            var response = Response(status: .ok, body: .init(byteBuffer: .init(string: "\(millis)\r\n")))
            response.headers[.contentType] = "text/plain; charset=utf-8"
            response.headers[.cacheControl] = "no-store"
            return response
        }

        // Readiness: every storage group answers. 503 (and which groups fail) when one does not.
        let probe = StorageHealthProbe(storage: storage)
        router.get("/healthcheck/storage") { _, _ -> Response in
            let results = await probe.current()
            let healthy = results.values.allSatisfy { $0 }
            let groups = results.keys.sorted().map { "\"\($0)\":\"\(results[$0]! ? "ok" : "unavailable")\"" }
            let body = "{\"status\":\"\(healthy ? "ok" : "unavailable")\",\"groups\":{\(groups.joined(separator: ","))}}"
            var response = Response(status: healthy ? .ok : .serviceUnavailable, body: .init(byteBuffer: .init(string: body)))
            response.headers[.contentType] = "application/json"
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }
}

/// Every storage group's health, probed at most once a second per worker however often it is
/// asked: the readiness check is public, and must not be a way to hammer the stores. Requests
/// that arrive while a probe runs wait for that probe instead of starting their own.
final class StorageHealthProbe: Sendable {
    typealias Results = [String: Bool]
    static let maximumAge = Duration.seconds(1)

    private struct State {
        var last: (results: Results, at: ContinuousClock.Instant)?
        var running: Task<Results, Never>?
    }

    private let storage: StorageRegistry
    private let state = Mutex(State())

    init(storage: StorageRegistry) { self.storage = storage }

    func current() async -> Results {
        let now = ContinuousClock.now
        let probe = state.withLock { state -> Task<Results, Never>? in
            if let last = state.last, now - last.at < Self.maximumAge { return nil }
            if state.running == nil { state.running = Task { [storage] in await Self.probe(storage) } }
            return state.running
        }
        guard let probe else { return state.withLock { $0.last!.results } }
        let results = await probe.value
        state.withLock { state in
            if state.running == probe {
                state.running = nil
                state.last = (results, ContinuousClock.now)
            }
        }
        return results
    }

    private static func probe(_ storage: StorageRegistry) async -> Results {
        await withTaskGroup(of: (String, Bool).self) { group in
            for store in storage.allStores {
                group.addTask { (store.group, (try? await store.ping()) != nil) }
            }
            return await group.reduce(into: Results()) { $0[$1.0] = $1.1 }
        }
    }
}
