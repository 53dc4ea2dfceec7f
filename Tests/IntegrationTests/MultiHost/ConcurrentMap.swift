extension Array where Element: Sendable {
    /// `lanes` at a time (all at once by default), the results in this array's order.
    func concurrentMap<T: Sendable>(lanes: Int = .max, _ transform: @escaping @Sendable (Element) async throws -> T) async throws -> [T] {
        try await withThrowingTaskGroup(of: (Int, T).self) { group in
            var results: [(Int, T)] = []
            for (index, element) in enumerated() {
                if index >= lanes, let result = try await group.next() { results.append(result) }
                group.addTask { (index, try await transform(element)) }
            }
            for try await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }
}
