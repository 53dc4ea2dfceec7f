import Foundation
/// Writes the audit records of concurrent requests together: while one batch is being written,
/// records that arrive queue up and go out as the next batch, in one statement. Every `append`
/// returns only once its own records are stored (or throws if its batch failed), so a response
/// that waits for its audit record still leaves only after the record is durable; under load
/// there are far fewer statements than records, and with no load a record is written at once.
package final class GroupCommitAuditLog: AuditLog {
    private let base: any AuditLog
    private let batches: GroupCommit<[AuditRecord], Void>

    /// - Parameter maximumBatch: appends written in one statement at most.
    package init(_ base: any AuditLog, maximumBatch: Int = 256) {
        self.base = base
        self.batches = GroupCommit(maximumBatch: maximumBatch) { appends in
            // One statement for the batch: it is stored or fails as a whole.
            do {
                try await base.append(contentsOf: appends.flatMap { $0 })
                return appends.map { _ in .success(()) }
            } catch {
                return appends.map { _ in .failure(error) }
            }
        }
    }

    package func append(contentsOf records: [AuditRecord]) async throws {
        guard !records.isEmpty else { return }
        try await batches.submit(records)
    }

    package func recent(limit: Int) async throws -> [AuditRecord] {
        try await base.recent(limit: limit)
    }

    package func purge(before cutoff: Date) async throws -> Int {
        try await base.purge(before: cutoff)
    }
}
