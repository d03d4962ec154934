import Foundation
import GlueTestSupport

/// Runs the built binary as a subprocess with a given environment and stdin; output goes through files so
/// a chatty child can never block on a full pipe.
enum CLIRunner {
    struct Result: CustomStringConvertible {
        let status: Int32
        let stdout: String
        let stderr: String
        var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }

        /// What a crash or an uncaught Swift error would print instead of one clear message.
        var looksLikeACrash: Bool {
            ["Fatal error", "Stack dump", "Current stack trace", "Illegal instruction", "Segmentation fault", "0x0000"]
                .contains { stderr.contains($0) || stdout.contains($0) } || status > 128
        }
    }

    struct TimedOut: Error, CustomStringConvertible {
        let arguments: [String]
        var description: String { "clearml-glue \(arguments.joined(separator: " ")) did not finish in time" }
    }

    static func run(_ arguments: [String], environment: [String: String], stdin: String? = nil,
                    timeout: TimeInterval = 30, executable: String? = nil) throws -> Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("clearml-glue-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outURL = folder.appendingPathComponent("stdout")
        let errURL = folder.appendingPathComponent("stderr")
        let inURL = folder.appendingPathComponent("stdin")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        try Data((stdin ?? "").utf8).write(to: inURL)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable ?? GlueBinary.path())
        process.arguments = arguments
        process.environment = environment
        let output = try FileHandle(forWritingTo: outURL)
        let errors = try FileHandle(forWritingTo: errURL)
        let input = stdin == nil ? FileHandle.nullDevice : try FileHandle(forReadingFrom: inURL)
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                throw TimedOut(arguments: arguments)
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
        try output.close()
        try errors.close()
        return Result(status: process.terminationStatus,
                      stdout: try String(contentsOf: outURL, encoding: .utf8),
                      stderr: try String(contentsOf: errURL, encoding: .utf8))
    }
}
