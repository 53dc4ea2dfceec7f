import Hummingbird
import Logging
import OAuth2Shared

/// Every route the worker serves, and the middleware in front of them.
enum WorkerRouter {
    static func build(
        runtime: WorkerRuntime, storage: StorageRegistry, site: any ResourceServer, pages: PageRenderer, logger: Logger
    ) -> Router<WorkerRequestContext> {
        let router = Router(context: WorkerRequestContext.self)
        router.add(middleware: AccessLogMiddleware(logger: logger, behindProxy: runtime.config.authServer.behindProxy))
        HealthcheckRoutes.add(to: router, storage: storage)
        APIRoutes(site: site, storage: storage, logger: logger).add(to: router)
        let config = runtime.config
        LoginRoutes(
            sessions: SessionStore(store: storage.store("session"), secret: config.authServer.sessionSecret, publicURL: config.authServer.url),
            pages: pages, site: site, users: storage.store("users"), clients: { runtime.clients }, logger: logger
        ).add(to: router)
        return router
    }
}
