import Foundation
import Logging
import SharedStorage
import TestSupport
import Testing

/// Every worker process of a host opens the same SQLite file. Another process (Python's
/// sqlite3, a real second SQLite client) races this one for the same one-time records.
@Suite(.startsServers)
struct SQLiteSharingTests {
    @Test func twoProcessesTakingTheSameRecordsNeverBothWin() async throws {
        let logger = Logger(label: "sqlite-sharing")
        let path = NSTemporaryDirectory() + "shared-\(UUID().uuidString).sqlite"
        let database = try await SQLiteDatabase.open(path: path, logger: logger)
        try await database.migrate(logger: logger)
        let store = SQLiteRecordStore(group: "codes", defaultTTL: 0, database: database)
        let keys = (0..<200).map { "code-\($0)" }
        for key in keys { try await store.put(key, Array(key.utf8)) }

        let script = """
            import random, sqlite3, sys, time
            db = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            print("ready", flush=True)
            sys.stdin.readline()
            won = []
            order = list(range(200))
            random.shuffle(order)
            for i in order:
                time.sleep(0.0002)  # a peer serving other requests in between
                row = db.execute("DELETE FROM oauth2_records WHERE grp='codes' AND key=? RETURNING value", ("code-%d" % i,)).fetchone()
                if row is not None:
                    won.append("code-%d" % i)
            db.execute("INSERT INTO oauth2_records (grp, key, value, expires_at) VALUES ('codes', 'from-python', x'01ff', NULL)")
            print("\\n".join(won))
            """
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", script, path]
        let output = Pipe()
        let input = Pipe()
        python.standardOutput = output
        python.standardInput = input
        try python.run()
        // Both processes start taking at the same moment.
        var ready = Data()
        while !ready.contains(UInt8(ascii: "\n")) { ready.append(output.fileHandleForReading.readData(ofLength: 1)) }
        input.fileHandleForWriting.write(Data("go\n".utf8))

        // Eight takers here (as a worker serves concurrent requests) against one there.
        let order = keys.shuffled()
        let ours = try await withThrowingTaskGroup(of: [String].self) { group in
            for lane in 0..<8 {
                group.addTask {
                    var won: [String] = []
                    for key in order.enumerated().filter({ $0.offset % 8 == lane }).map(\.element)
                    where try await store.take(key) != nil {
                        won.append(key)
                    }
                    return won
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.formUnion($1) }
        }
        let theirs = Set(
            String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .split(separator: "\n").map(String.init))
        python.waitUntilExit()
        #expect(python.terminationStatus == 0)

        #expect(ours.isDisjoint(with: theirs), "a record was taken by both processes: \(ours.intersection(theirs).sorted().prefix(5))")
        #expect(ours.union(theirs) == Set(keys), "every record was taken by exactly one process")
        #expect(try await store.get("from-python") == [0x01, 0xFF], "a write of the other process is visible here")
        await database.close()
    }
    @Test func concurrentReadsAndWritesOfTwoProcessesNeverFail() async throws {
        // Two workers' connections to one file, each serving many requests at once: reads
        // interleaved with writes must never surface SQLITE_BUSY_SNAPSHOT as an error.
        let logger = Logger(label: "sqlite-sharing")
        let path = NSTemporaryDirectory() + "mixed-\(UUID().uuidString).sqlite"
        let first = try await SQLiteDatabase.open(path: path, logger: logger)
        try await first.migrate(logger: logger)
        let second = try await SQLiteDatabase.open(path: path, logger: logger)
        let stores = [first, second].map { SQLiteRecordStore(group: "tokens", defaultTTL: 0, database: $0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<16 {
                let store = stores[lane % 2]
                group.addTask {
                    for round in 0..<60 {
                        let key = "lane\(lane)-\(round)"
                        try await store.put(key, Array(key.utf8))
                        #expect(try await store.get(key) == Array(key.utf8))
                        try await store.addToIndex("grant-\(lane)", member: key)
                        _ = try await store.members(ofIndex: "grant-\(lane)")
                        #expect(try await store.take(key) == Array(key.utf8))
                    }
                }
            }
            try await group.waitForAll()
        }
        await first.close()
        await second.close()
    }
}

/// Writes of concurrent callers commit together; the write-ahead log does not grow without end.
struct SQLiteWriteTests {
    private func withDatabase(_ body: (SQLiteDatabase, String) async throws -> Void) async throws {
        let logger = Logger(label: "sqlite-writes")
        let path = NSTemporaryDirectory() + "writes-\(UUID().uuidString).sqlite"
        let database = try await SQLiteDatabase.open(path: path, logger: logger)
        try await database.migrate(logger: logger)
        do {
            try await body(database, path)
        } catch {
            await database.close()
            throw error
        }
        await database.close()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    @Test func concurrentWritesAllCommitAndABadOneFailsAlone() async throws {
        try await withDatabase { database, _ in
            let store = SQLiteRecordStore(group: "tokens", defaultTTL: 0, database: database)
            let failures = try await withThrowingTaskGroup(of: Bool.self) { group in
                for n in 0..<200 {
                    group.addTask {
                        try await store.put("token-\(n)", Array("value-\(n)".utf8), ttl: 600, indexedIn: "issued-for:grant-\(n % 7)")
                        return false
                    }
                    if n == 100 {
                        group.addTask {
                            do {
                                try await database.write([
                                    SQLiteStatement("INSERT INTO oauth2_records (grp, key, value) VALUES ('tokens', 'half', x'00')"),
                                    SQLiteStatement("INSERT INTO no_such_table VALUES (1)"),
                                ])
                                return false
                            } catch {
                                return true
                            }
                        }
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(failures == 1, "only the bad write fails")
            #expect(try await store.get("half") == nil, "a write commits all of its statements or none")
            for n in 0..<200 {
                #expect(try await store.get("token-\(n)") == Array("value-\(n)".utf8))
            }
            let indexed = try await store.members(ofIndex: "issued-for:grant-3")
            #expect(indexed.count == (0..<200).filter { $0 % 7 == 3 }.count, "each record's index entry committed with it")
        }
    }

    @Test func aCheckpointRestartsTheLogWhileOthersRead() async throws {
        try await withDatabase { database, path in
            let store = SQLiteRecordStore(group: "tokens", defaultTTL: 0, database: database)
            func burst(_ round: Int) async throws {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for lane in 0..<4 {
                        group.addTask {
                            for n in 0..<150 {
                                try await store.put("token-\(round)-\(lane)-\(n)", Array(repeating: UInt8(n % 256), count: 300), ttl: 600)
                                _ = try await store.get("token-\(round)-\(lane)-\(n / 2)")
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            func logSize() throws -> Int { try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? -1 }
            try await burst(1)
            let logged = try logSize()
            #expect(logged > 0, "the writes went through the log")
            #expect(await database.checkpoint())
            try await burst(2)
            // Without the restart the second burst would append to the first: twice the size.
            let after = try logSize()
            #expect(after <= logged + logged / 4, "the log restarted: \(after) bytes after a second burst, \(logged) after the first")
            #expect(try await store.get("token-1-3-149") == Array(repeating: UInt8(149), count: 300))
            #expect(try await store.get("token-2-3-149") == Array(repeating: UInt8(149), count: 300))
        }
    }
}
