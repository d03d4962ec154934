import ClearMLAPI

/// How a run ended, and what the agent reports for it (upstream `handle_task_process_termination`).
public enum RunOutcome: Sendable, Equatable {
    /// The task's process exited with this code (-N for signal N).
    case exited(Int32)
    /// Checking out or preparing the environment failed.
    case setupFailed(String)
    /// `build`: the environment is ready, nothing ran.
    case built

    public struct Report: Sendable, Equatable {
        /// The status call to make, nil when someone else already set the final status.
        public var change: ClearMLSession.StatusChange?
        public var statusReason: String
        public var consoleLine: String
        /// The agent's exit code when the pod should reflect the task.
        public var reflectedExitCode: Int32
        /// The task's own exit code, for CLEARML_AGENT_PROPAGATE_EXITCODE.
        public var taskExitCode: Int32
    }

    public func report(stop: StopReason?) -> Report {
        if let stop {
            if stop.reportsStopped {
                let reason: String
                if case .terminated = stop { reason = "stopped: \(stop)" } else { reason = "task was stopped by tasks.stop" }
                return Report(change: .stopped, statusReason: reason, consoleLine: "Process aborted: \(stop)",
                              reflectedExitCode: AgentExitCode.taskStopped, taskExitCode: 130)
            }
            return Report(change: nil, statusReason: "", consoleLine: "Process stopped: \(stop)",
                          reflectedExitCode: AgentExitCode.taskStopped, taskExitCode: 130)
        }
        switch self {
        case .built:
            return Report(change: nil, statusReason: "", consoleLine: "Environment prepared", reflectedExitCode: 0, taskExitCode: 0)
        case .exited(0):
            return Report(change: .completed, statusReason: "worker execution done", consoleLine: "Process completed successfully",
                          reflectedExitCode: AgentExitCode.success, taskExitCode: 0)
        case .exited(let code) where code == -2 || code == 254:
            return Report(change: .stopped, statusReason: "user abort", consoleLine: "Process terminated by user",
                          reflectedExitCode: AgentExitCode.taskStopped, taskExitCode: code < 0 ? 128 - code : code)
        case .exited(let code):
            return Report(change: .failed, statusReason: "worker execution exit code \(code)", consoleLine: "Process failed, exit code \(code)",
                          reflectedExitCode: AgentExitCode.taskFailed, taskExitCode: code < 0 ? 128 - code : code)
        case .setupFailed(let message):
            let reason = "environment setup failed: \(message)"
            return Report(change: .failed, statusReason: String(reason.prefix(500)), consoleLine: "Process failed: \(message)",
                          reflectedExitCode: AgentExitCode.taskFailed, taskExitCode: 1)
        }
    }
}
