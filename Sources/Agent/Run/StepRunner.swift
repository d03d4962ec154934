#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Runs one command (a setup step or the task itself) under the run's stop switch, streaming its
/// output line by line to the console.
public struct StepRunner: Sendable {
    public let console: TaskConsole
    public let control: RunControl
    public let environment: [String: String]

    public init(console: TaskConsole, control: RunControl, environment: [String: String]) {
        self.console = console
        self.control = control
        self.environment = environment
    }

    /// Runs `arguments` in `directory` and returns its exit code (-N when killed by signal N).
    /// Throws `StopRequested` when a stop was requested before it started.
    public func run(_ arguments: [String], in directory: String? = nil, environment extra: [String: String] = [:],
                    echoCommand: Bool = false) async throws -> Int32 {
        try await control.checkNotStopped()
        var environment = self.environment
        environment.merge(extra) { $1 }
        if echoCommand { await console.write("[\(directory ?? ".")]$ \(arguments.joined(separator: " "))") }
        let child = try ChildProcess(arguments: arguments, environment: environment, directory: directory)
        await control.attach(child)
        let console = self.console
        let code = await withTaskGroup(of: Int32?.self) { group in
            group.addTask {
                var lines = ConsoleLines()
                for await chunk in child.output {
                    await console.write(lines.push(chunk, now: .now))
                }
                await console.write(lines.finish())
                return nil
            }
            group.addTask {
                let code = await child.exitCode
                // Whatever the process left behind in its group goes with it (as upstream kills the tree).
                child.signalGroup(SIGKILL)
                return code
            }
            var exit: Int32?
            var drained = false
            while let result = await group.next() {
                if let code = result {
                    exit = code
                    if drained { break }
                    // The output normally ends right after the exit; a descendant that left the group may
                    // keep the pipe open, so stop waiting for it after a while.
                    group.addTask {
                        try? await Task.sleep(for: .seconds(2))
                        return nil
                    }
                } else if exit != nil {
                    break
                } else {
                    drained = true
                }
            }
            group.cancelAll()
            return exit ?? -1
        }
        await control.detach(child)
        return code
    }

    /// Runs and throws `SetupFailure` unless the command exits 0.
    public func require(_ what: String, _ arguments: [String], in directory: String? = nil,
                        environment extra: [String: String] = [:]) async throws {
        let code = try await run(arguments, in: directory, environment: extra)
        try await control.checkNotStopped()
        guard code == 0 else { throw AgentError.setupFailed("\(what) failed (exit code \(code))") }
    }

    /// Runs a command and returns its stdout+stderr instead of showing it (version probes, freeze).
    public func capture(_ arguments: [String], in directory: String? = nil) async throws -> (code: Int32, output: String) {
        let child = try ChildProcess(arguments: arguments, environment: environment, directory: directory)
        var data = Data()
        for await chunk in child.output { data.append(chunk) }
        return (await child.exitCode, String(decoding: data, as: UTF8.self))
    }
}
