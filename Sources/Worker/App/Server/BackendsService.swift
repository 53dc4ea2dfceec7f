import SharedStorage
import ServiceLifecycle

/// Keeps the storage pools running for the worker's lifetime and closes the connections to
/// storage and to the site at the end. It is the first service of the group, so it stops
/// last: requests still draining can use both to the end.
struct BackendsService: Service {
    let storage: StorageRegistry
    let site: SiteHTTPClient

    func run() async throws {
        await cancelWhenGracefulShutdown { await storage.run() }
        await site.shutdown()
        await storage.shutdown()
    }
}
