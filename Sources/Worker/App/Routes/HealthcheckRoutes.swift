import Foundation
import Hummingbird
import OAuth2Shared

/// Health checks for load balancers and operators.
enum HealthcheckRoutes {
    static func add(to router: Router<WorkerRequestContext>, storage: StorageRegistry) {
        // Liveness, as the seed answers it: 200 with the time in milliseconds.
        router.get("/healthcheck") { _, _ -> Response in
            let millis = Int64(Date().timeIntervalSince1970 * 1000)
            var response = Response(status: .ok, body: .init(byteBuffer: .init(string: "\(millis)\r\n")))
            response.headers[.contentType] = "text/plain; charset=utf-8"
            response.headers[.cacheControl] = "no-store"
            return response
        }

        // Readiness: every storage group answers. 503 (and which groups fail) when one does not.
        router.get("/healthcheck/storage") { _, _ -> Response in
            let results = await withTaskGroup(of: (String, Bool).self) { group in
                for store in storage.allStores {
                    group.addTask { (store.group, (try? await store.ping()) != nil) }
                }
                return await group.reduce(into: [String: Bool]()) { $0[$1.0] = $1.1 }
            }
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
