/// What `execute` / `build` was asked to do (the command-line flags, after parsing).
public struct ExecuteRequest: Sendable {
    public var taskID: String
    public var requireQueue = false
    /// `--full-monitoring` (default in pods): ping, worker reports with machine stats.
    public var fullMonitoring = true
    /// `--disable-monitoring`: console to stdout only; no reports.
    public var disableMonitoring = false
    public var logFile: String?
    /// `--standalone-mode`: no network installs; the environment is used as is.
    public var standalone = false
    public var clone = false
    public var gitUser: String?
    public var gitPass: String?
    public var gpus: String?
    public var cpuOnly = false
    public var optimization = 0
    public var pythonVersion: String?
    /// `build --target` / `execute --target`: where the code and the venv are (or go).
    public var target: String?
    /// `build`: prepare only.
    public var buildOnly = false
    public var installGlobally = false
    /// The pod's exit code says how the task ended (CLEARML_K8S_GLUE_POD_EXIT_CODE_REFLECTS_TASK).
    public var reflectTaskResult = false
    /// Exit with the task's own exit code (upstream CLEARML_AGENT_PROPAGATE_EXITCODE).
    public var propagateExitCode = false
    /// SIGTERM to SIGKILL, for the task's process group.
    public var killGrace: Duration = .seconds(3)
    public var abortPollInterval: Duration = .milliseconds(500)
    /// Echo the console to our stdout (the pod log); tests turn it off.
    public var echoConsole = true

    public init(taskID: String) { self.taskID = taskID }
}
