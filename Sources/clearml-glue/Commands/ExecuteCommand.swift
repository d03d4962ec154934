import Agent
import ArgumentParser
import ClearMLConfig
import ClearMLAPI
import Foundation
import GlueCLI
import Logging

/// `clearml-glue execute`: runs one task inside its pod, as `clearml-agent execute` does.
struct ExecuteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "execute",
        abstract: "Execute a task inside its pod: claim it, check out its code, prepare Python, run it, stream its console, report the result."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var task: AgentTaskOptions

    @Flag(name: .customLong("require-queue"), help: "Only run the task if it is queued; claim it exclusively.")
    var requireQueue = false
    @Flag(name: .customLong("full-monitoring"), help: "Console, pings, worker reports with machine stats, abort checks (the default).")
    var fullMonitoring = false
    @Flag(name: .customLong("disable-monitoring"), help: "Console to stdout only; no console events, pings or worker reports.")
    var disableMonitoring = false
    @Option(name: .customLong("log-file"), help: "Also append the task's console to this file.")
    var logFile: String?
    @Flag(name: .customLong("standalone-mode"), help: "Install nothing: run with the Python environment as it is.")
    var standaloneMode = false
    @Flag(name: .customLong("clone"), help: "Clone the task and execute the clone.")
    var clone = false

    func validate() throws {
        if fullMonitoring && disableMonitoring {
            throw ValidationError("--full-monitoring and --disable-monitoring contradict each other: give one")
        }
        try task.validate()
    }

    func run() async throws {
        try global.bootstrapLogging()
        var request = try task.request(buildOnly: false)
        request.requireQueue = requireQueue
        request.disableMonitoring = disableMonitoring
        request.fullMonitoring = !disableMonitoring
        request.logFile = logFile
        request.standalone = standaloneMode
        request.clone = clone
        let code = await AgentLauncher.run(global: global, request: request)
        throw ExitCode(code)
    }
}

/// The flags `execute` and `build` share (upstream's names).
struct AgentTaskOptions: ParsableArguments {
    @Option(name: .customLong("id"), help: "The task to execute.")
    var id: String
    @Option(name: .customLong("git-user"), help: "Git user for the task's repository (else CLEARML_AGENT_GIT_USER / agent.git_user).")
    var gitUser: String?
    @Option(name: .customLong("git-pass"), help: "Git password or token (else CLEARML_AGENT_GIT_PASS / agent.git_pass).")
    var gitPass: String?
    @Option(name: .customLong("gpus"), help: "GPUs the task may use (NVIDIA_VISIBLE_DEVICES): 0, 0,1 or all.")
    var gpus: String?
    @Flag(name: .customLong("cpu-only"), help: "Hide all GPUs from the task.")
    var cpuOnly = false
    @Flag(name: .customShort("O"), help: "Run Python with -O (repeat for -OO).")
    var optimization: Int
    @Option(name: .customLong("python-version"), help: "Python to use, e.g. 3.11 (else the task's script.binary, agent.python_binary, python3).")
    var pythonVersion: String?
    @Option(name: .customLong("target"), help: "Folder for the code and the virtual environment; 'execute --target' reuses what 'build --target' prepared.")
    var target: String?

    func validate() throws {
        if id.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--id is empty: give the task id to execute") }
        if gpus != nil && cpuOnly { throw ValidationError("--gpus and --cpu-only contradict each other: give one") }
        if (gitUser == nil) != (gitPass == nil) { throw ValidationError("give --git-user and --git-pass together") }
    }

    func request(buildOnly: Bool) throws -> ExecuteRequest {
        var request = ExecuteRequest(taskID: id.trimmingCharacters(in: .whitespaces))
        request.buildOnly = buildOnly
        request.gitUser = gitUser
        request.gitPass = gitPass
        request.gpus = gpus
        request.cpuOnly = cpuOnly
        request.optimization = optimization
        request.pythonVersion = pythonVersion
        request.target = target
        let environment = ProcessInfo.processInfo.environment
        request.reflectTaskResult = try Self.flag("CLEARML_K8S_GLUE_POD_EXIT_CODE_REFLECTS_TASK", environment)
        request.propagateExitCode = try Self.flag("CLEARML_AGENT_PROPAGATE_EXITCODE", environment)
        return request
    }

    static func flag(_ name: String, _ environment: [String: String]) throws -> Bool {
        guard let text = environment[name], !text.isEmpty else { return false }
        guard let value = BooleanText.parse(text) else {
            throw ValidationError("\(name)='\(text)' is not a boolean: use \(BooleanText.accepted)")
        }
        return value
    }
}

/// Wiring shared by `execute` and `build`: settings, session, signals, the executor.
enum AgentLauncher {
    static func run(global: GlobalOptions, request: ExecuteRequest) async -> Int32 {
        let logger = Logger(label: "clearml-glue.agent")
        let settings: ClearMLSettings
        do { settings = try global.loadSettings() } catch {
            logger.error("invalid configuration: \(error)")
            return AgentExitCode.invalidInput
        }
        let hostname = TerminationSignals.hostname()
        let worker = AgentContext.defaultWorker(settings: settings, hostname: hostname)
        let session: ClearMLSession
        do {
            session = try ClearMLSession(configuration: ClearMLSessionConfiguration(settings: settings, worker: worker), logger: logger)
        } catch {
            logger.error("\(error)")
            return AgentExitCode.invalidInput
        }
        let located = ConfigLoader.forCurrentProcess(configFile: global.configFile).locateConfigFile()
        let environment = ProcessInfo.processInfo.environment
        let context = AgentContext(
            settings: settings, session: session, environment: environment, hostname: hostname, worker: worker,
            configFile: located.loaded ? located.path : nil, logLevel: global.logLevel, logger: logger)
        return await AgentRunner(context: context, request: request).run(signals: TerminationSignals.stream())
    }
}
