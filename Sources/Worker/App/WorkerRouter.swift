import Hummingbird
import Logging
import OAuth2Shared

/// Every route the worker serves, and the middleware in front of them.
enum WorkerRouter {
    static func build(
        runtime: WorkerRuntime, storage: StorageRegistry, site: any ResourceServer, logger: Logger
    ) -> Router<WorkerRequestContext> {
        let router = Router(context: WorkerRequestContext.self)
        router.add(middleware: AccessLogMiddleware(logger: logger, behindProxy: runtime.config.authServer.behindProxy))
        HealthcheckRoutes.add(to: router, storage: storage)
        APIRoutes(site: site, storage: storage, logger: logger).add(to: router)
        return router
    }
}
