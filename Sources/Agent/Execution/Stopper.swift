import ClearMLAPI
import Foundation
import JSONValue

/// Carries out a stop once: log it, run the abort callback (bounded), then SIGTERM/SIGKILL the process group.
struct Stopper: Sendable {
    let context: AgentContext
    let taskID: String
    let control: RunControl
    let console: TaskConsole
    let runner: StepRunner

    func stop(_ reason: StopReason) async {
        guard await control.markStopping(reason) else { return }
        await console.write("User aborted: stopping task (\(reason))", level: "ERROR")
        let agent = context.settings.agent
        if let command = agent.abortCallbackCommand, reason.reportsStopped {
            await runCallback(command, timeout: .seconds(agent.abortCallbackTimeoutSeconds ?? 180))
        }
        await control.terminate()
    }

    /// `CLEARML_AGENT_ABORT_CALLBACK_CMD`, given up to its timeout, then `runtime._abort_callback_completed`.
    private func runCallback(_ command: String, timeout: Duration) async {
        await console.write("Running the abort callback (CLEARML_AGENT_ABORT_CALLBACK_CMD), waiting up to \(timeout)")
        let arguments: [String]
        do { arguments = try ShellWordsBridge.split(command) } catch {
            await console.write("The abort callback has unbalanced quotes; not run: fix CLEARML_AGENT_ABORT_CALLBACK_CMD", level: "ERROR")
            return
        }
        let callback = StepRunner(console: console, control: RunControl(grace: .seconds(1)), environment: runner.environment)
        let code: Int32? = await withTaskGroup(of: Int32?.self) { group in
            group.addTask { try? await callback.run(arguments) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            if first == nil {
                await callback.control.markStopping(.abortRequested)
                await callback.control.terminate()
            }
            group.cancelAll()
            return first
        }
        await console.write(code.map { "Abort callback finished (exit code \($0))" } ?? "Abort callback timed out after \(timeout)")
        let session = context.session
        if let current = try? await session.taskFields(id: taskID, ["runtime"])?.runtime {
            var runtime = current
            runtime["_abort_callback_completed"] = "1"
            _ = try? await session.editTask(id: taskID, ["runtime": .object(runtime)], force: true)
        }
    }
}

import ClearMLConfig

enum ShellWordsBridge {
    static func split(_ text: String) throws -> [String] { try ShellWords.split(text) }
}
