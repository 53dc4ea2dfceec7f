import Glibc

/// One parser under the fuzzer: it gets every input libFuzzer makes and traps when the parser
/// crashes or breaks one of the invariants the target states about it.
struct FuzzTarget: Sendable {
    let name: String
    let run: @Sendable ([UInt8]) -> Void

    static let all: [FuzzTarget] = [
        FuzzTarget(name: "form", run: FormTarget.run),
        FuzzTarget(name: "query", run: QueryTarget.run),
        FuzzTarget(name: "basic-auth", run: BasicAuthTarget.run),
        FuzzTarget(name: "json", run: JSONTarget.run),
        FuzzTarget(name: "session-cookie", run: SessionCookieTarget.run),
        FuzzTarget(name: "config", run: ConfigTarget.run),
        FuzzTarget(name: "redis-reply", run: RedisReplyTarget.run),
    ]

    /// The target named by the first argument.
    static let selected: FuzzTarget? = {
        guard CommandLine.arguments.count > 1 else { return nil }
        return all.first { $0.name == CommandLine.arguments[1] }
    }()
}

/// Stops the run when `condition` is false: libFuzzer reports the input as a crash. Unlike
/// `precondition` this says what broke in every build configuration.
func invariant(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    guard !condition else { return }
    fatalError("invariant broken: \(message())", file: file, line: line)
}
