import Foundation
import TestSupport
import Testing

extension IntegrationTests {
    /// docs/getting-started.md is executed, not just read: every `sh` block runs, in order, in one
    /// shell (variables carry over, as in the reader's terminal) against a server on the shipped
    /// clients file, and its output must match the `text` block that follows it, where `…`
    /// stands for any text within a line. A walkthrough that drifts from the server fails here.
    @Suite struct GettingStartedTests {
        @Test func theWalkthroughRunsAsWritten() async throws {
            let page = try String(
                contentsOf: TestEnvironment.repository.appendingPathComponent("docs/getting-started.md"), encoding: .utf8)
            let steps = try Walkthrough.steps(in: page)
            #expect(steps.count >= 8, "the walkthrough lost its steps")

            let clients = try String(
                contentsOf: TestEnvironment.repository.appendingPathComponent("etc/clients.json.example"), encoding: .utf8)
            let server = try await ServerProcess.start(workers: 2, clients: clients)
            let directory = TestEnvironment.temporaryDirectory("getting-started")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let outputs: [String]
            do {
                outputs = try Walkthrough.run(steps, directory: directory, server: server.baseURL)
            } catch {
                _ = await server.stop()
                throw error
            }
            _ = await server.stop()
            for (index, step) in steps.enumerated() {
                let output = index < outputs.count ? outputs[index] : "(the shell stopped at an earlier step)"
                #expect(
                    step.matches(output),
                    "step \(index + 1) of docs/getting-started.md:\n\(step.commands)\nprinted:\n\(output)\nexpected:\n\(step.expected)")
            }
        }

        @Test func anExpectedOutputMatchesOnlyWhatItSays() {
            let step = Walkthrough.Step(commands: "", expected: "{\"token\":\"…\",\"n\":1}\n200")
            #expect(step.matches("{\"token\":\"abc-_1\",\"n\":1}\n200\n"))
            #expect(!step.matches("{\"token\":\"abc\",\"n\":2}\n200"))
            #expect(!step.matches("{\"token\":\"a\nb\",\"n\":1}\n200"), "… stays within a line")
            #expect(!step.matches("{\"token\":\"abc\",\"n\":1}\n200\nmore"))
            #expect(step.matches("{\"token\":\"abc\",\"n\":1}\r\n200\r\n"))
        }
    }
}

/// The runnable steps of a walkthrough page.
enum Walkthrough {
    struct Step {
        let commands: String
        let expected: String

        /// The output, without its final newline, is the expected text line for line, `…`
        /// matching any run of characters within one line. Line ends are compared as `\n`
        /// (the health check answers with `\r\n`).
        func matches(_ output: String) -> Bool {
            let output = output.replacingOccurrences(of: "\r\n", with: "\n")
            let pattern = expected.components(separatedBy: "…").map(NSRegularExpression.escapedPattern(for:))
                .joined(separator: "[^\\n]*")
            let actual = output.hasSuffix("\n") ? String(output.dropLast()) : output
            guard let regex = try? NSRegularExpression(pattern: "\\A\(pattern)\\z") else { return false }
            return regex.firstMatch(in: actual, range: NSRange(actual.startIndex..., in: actual)) != nil
        }
    }

    /// Each ```sh block with the ```text block right after it (nothing but blank lines between).
    static func steps(in page: String) throws -> [Step] {
        var blocks: [(language: String, body: String, followsDirectly: Bool)] = []
        var language: String?, body: [String] = [], gap = true
        for line in page.components(separatedBy: "\n") {
            if let open = language {
                if line == "```" {
                    blocks.append((open, body.joined(separator: "\n"), gap))
                    language = nil
                    body = []
                    gap = true
                } else {
                    body.append(line)
                }
            } else if line.hasPrefix("```") {
                language = String(line.dropFirst(3))
            } else if !line.trimmingCharacters(in: .whitespaces).isEmpty {
                gap = false
            }
        }
        var steps: [Step] = []
        for (index, block) in blocks.enumerated() where block.language == "sh" {
            guard index + 1 < blocks.count, blocks[index + 1].language == "text", blocks[index + 1].followsDirectly else {
                throw TestFailure("an sh block has no text block with its output right after it:\n\(block.body)")
            }
            steps.append(Step(commands: block.body, expected: blocks[index + 1].body))
        }
        return steps
    }

    /// Runs the steps in one bash, each followed by a marker line, and returns each step's output
    /// (after the last finished step: what the one that stopped the shell printed).
    static func run(_ steps: [Step], directory: String, server: String) throws -> [String] {
        let marker = "@@walkthrough-step-done@@"
        // In a folder of its own: the steps leave files (the cookie jar, token.json) where they run.
        let script = "cd '\(directory)'\n" + steps.map { "\($0.commands)\necho '\(marker)'" }.joined(separator: "\n")
        let path = "\(directory)/walkthrough.sh"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let (_, output) = try Command.output("/bin/bash", [path], environment: ["AS": server])
        return output.components(separatedBy: "\(marker)\n")
    }
}
