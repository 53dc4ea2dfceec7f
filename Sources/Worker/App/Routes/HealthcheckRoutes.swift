import Foundation
import Hummingbird

/// `GET /healthcheck`: 200 with the time in milliseconds, as the seed answers, for load balancers.
enum HealthcheckRoutes {
    static func add(to router: Router<WorkerRequestContext>) {
        router.get("/healthcheck") { _, _ -> Response in
            let millis = Int64(Date().timeIntervalSince1970 * 1000)
            var response = Response(status: .ok, body: .init(byteBuffer: .init(string: "\(millis)\r\n")))
            response.headers[.contentType] = "text/plain; charset=utf-8"
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }
}
