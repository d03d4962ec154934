import Foundation
import GlueTestSupport

/// The built `clearml-glue` run as a child process (`execute` as a task pod runs it), with the harness's
/// environment; its stdout and stderr go to a file, never to a pipe nobody reads.
final class AgentProcess: @unchecked Sendable {
    let process = Process()
    let outputPath: String

    init(_ harness: AgentHarness, _ arguments: [String], env extra: [String: String] = [:], serverURL: String? = nil) throws {
        outputPath = harness.root + "/agent-\(UUID().uuidString.prefix(8)).out"
        guard FileManager.default.createFile(atPath: outputPath, contents: nil), let sink = FileHandle(forWritingAtPath: outputPath) else {
            throw HarnessError("cannot create \(outputPath)")
        }
        process.executableURL = URL(fileURLWithPath: try GlueBinary.path())
        process.arguments = arguments
        process.environment = harness.environment(extra, serverURL: serverURL)
        process.currentDirectoryURL = URL(fileURLWithPath: harness.home)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = sink
        process.standardError = sink
        try process.run()
        try sink.close()
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// The last `bytes` of the output (for outputs too big to read whole).
    func outputTail(_ bytes: UInt64 = 4096) -> String {
        guard let handle = FileHandle(forReadingAtPath: outputPath) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > bytes ? size - bytes : 0)
        return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
    }
    var pid: Int32 { process.processIdentifier }

    func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// The exit code once the process ended; throws (and kills it) when it outlives `timeout`. Polls: a
    /// blocking waitUntilExit would hold a cooperative thread.
    func exitCode(within timeout: Duration = .seconds(120)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                throw HarnessError("clearml-glue \(process.arguments?.joined(separator: " ") ?? "") did not exit within \(timeout): \(outputTail(3000))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        guard process.terminationReason == .exit else {
            throw HarnessError("clearml-glue died of signal \(process.terminationStatus): \(outputTail(3000))")
        }
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

extension AgentHarness {
    /// `clearml-glue execute --id TASK --require-queue ...` to its end: the exit code and the output.
    func executeBinary(_ task: String, _ extraArguments: [String] = [], env: [String: String] = [:], serverURL: String? = nil,
                       timeout: Duration = .seconds(180)) async throws -> (code: Int32, output: String) {
        let agent = try AgentProcess(self, ["execute", "--id", task, "--require-queue"] + extraArguments, env: env, serverURL: serverURL)
        let code = try await agent.exitCode(within: timeout)
        return (code, agent.output)
    }
}
