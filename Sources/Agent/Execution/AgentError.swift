import ClearMLAPI

/// Why `execute`/`build` could not do its job. Messages say what, where and how to fix, never a secret.
public enum AgentError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The claim was refused (not queued, or another agent runs it); nothing was changed.
    case claimRefused(String)
    /// The task cannot be read (wrong id, no access).
    case taskNotFound(String)
    /// A flag, variable or task field is unusable.
    case invalidInput(String)
    /// Checking out the code or preparing Python failed; the task is reported failed.
    case setupFailed(String)
    /// The server could not be reached or refused a call the agent cannot do without.
    case server(String)

    public var description: String {
        switch self {
        case .claimRefused(let message), .taskNotFound(let message), .invalidInput(let message),
             .setupFailed(let message), .server(let message):
            message
        }
    }

    /// The agent's own exit code for this error (see `AgentExitCode`).
    public var exitCode: Int32 {
        switch self {
        case .claimRefused: AgentExitCode.claimRefused
        case .taskNotFound: AgentExitCode.taskNotFound
        case .invalidInput: AgentExitCode.invalidInput
        case .setupFailed: AgentExitCode.taskFailed
        case .server: AgentExitCode.serverUnavailable
        }
    }
}

/// The agent's exit codes (documented in README, "The in-pod agent").
public enum AgentExitCode {
    /// The task ran and its result was reported (any result, unless the pod should reflect the task).
    public static let success: Int32 = 0
    /// An unexpected internal error.
    public static let internalError: Int32 = 1
    /// `--require-queue`: the task was not queued, or another agent claimed it. Nothing was changed.
    public static let claimRefused: Int32 = 3
    /// The task id does not exist (or is not visible with these credentials).
    public static let taskNotFound: Int32 = 4
    /// The ClearML server could not be reached or refused the agent's credentials.
    public static let serverUnavailable: Int32 = 5
    /// A flag, variable or setting is invalid.
    public static let invalidInput: Int32 = 6
    /// With CLEARML_K8S_GLUE_POD_EXIT_CODE_REFLECTS_TASK: the task failed (script or setup).
    public static let taskFailed: Int32 = 10
    /// With CLEARML_K8S_GLUE_POD_EXIT_CODE_REFLECTS_TASK: the task was stopped (aborted, pod deleted).
    public static let taskStopped: Int32 = 11
}

extension AgentError {
    /// Maps a failed call the agent cannot do without.
    static func from(_ error: ClearMLAPIError, doing what: String) -> AgentError {
        switch error {
        case .server(_, 400, 101, _): .taskNotFound("\(what): \(error)")
        case .authentication, .configuration: .server("\(what): \(error)")
        default: .server("\(what): \(error)")
        }
    }
}
