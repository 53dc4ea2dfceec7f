/// Runs `body`, then `close`, whether `body` threw or not: for a connection or file opened for
/// one piece of work, since a `defer` cannot await its closing.
func closing<T>(_ close: () async -> Void, after body: () async throws -> T) async throws -> T {
    let result: T
    do {
        result = try await body()
    } catch {
        await close()
        throw error
    }
    await close()
    return result
}
