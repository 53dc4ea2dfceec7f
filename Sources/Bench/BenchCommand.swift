import ArgumentParser

/// `oauth2-bench`: what scripts/bench needs besides wrk. A bare SwiftNIO server to measure the
/// server against, and a driver for the flows wrk cannot express (a browser signing in and
/// consenting, where each step needs what the previous answer carried).
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oauth2-bench",
        abstract: "Benchmark helpers for scripts/bench.",
        subcommands: [BaselineCommand.self, FlowCommand.self])
}
