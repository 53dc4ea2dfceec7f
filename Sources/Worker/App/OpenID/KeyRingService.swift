import ServiceLifecycle

/// Keeps the worker's signing keys fresh for its lifetime (see `KeyRing.run`).
struct KeyRingService: Service {
    let keyRing: KeyRing

    func run() async throws {
        await cancelWhenGracefulShutdown { await keyRing.run() }
    }
}
