import Foundation

/// The environment the task's process gets: ours, plus what the ClearML SDK inside expects so that
/// `Task.init` attaches to this task instead of creating one.
public struct TaskEnvironment: Sendable {
    public var taskID: String
    public var worker: String
    public var apiServer: String
    public var webServer: String
    public var filesServer: String
    public var accessKey: String?
    public var secretKey: String?
    public var authToken: String?
    public var configFile: String?
    public var logLevel: String?
    public var gpus: String?
    public var cpuOnly: Bool
    public var extraPythonPath: String?

    public init(taskID: String, worker: String, apiServer: String, webServer: String, filesServer: String,
                accessKey: String? = nil, secretKey: String? = nil, authToken: String? = nil, configFile: String? = nil,
                logLevel: String? = nil, gpus: String? = nil, cpuOnly: Bool = false, extraPythonPath: String? = nil) {
        self.taskID = taskID
        self.worker = worker
        self.apiServer = apiServer
        self.webServer = webServer
        self.filesServer = filesServer
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.authToken = authToken
        self.configFile = configFile
        self.logLevel = logLevel
        self.gpus = gpus
        self.cpuOnly = cpuOnly
        self.extraPythonPath = extraPythonPath
    }

    /// `base` with the SDK variables set, the venv activated and the script folder on PYTHONPATH.
    public func apply(to base: [String: String], venv: String?, scriptDirectory: String) -> [String: String] {
        var env = base
        env["CLEARML_TASK_ID"] = taskID
        env["TRAINS_TASK_ID"] = taskID
        env["CLEARML_LOG_TASK_TO_BACKEND"] = "0"
        env["TRAINS_LOG_TASK_TO_BACKEND"] = "0"
        env["CLEARML_WORKER_ID"] = worker
        env["CLEARML_API_HOST"] = apiServer
        env["CLEARML_WEB_HOST"] = webServer
        env["CLEARML_FILES_HOST"] = filesServer
        if let accessKey, let secretKey {
            env["CLEARML_API_ACCESS_KEY"] = accessKey
            env["CLEARML_API_SECRET_KEY"] = secretKey
        }
        if let authToken { env["CLEARML_AUTH_TOKEN"] = authToken }
        if let configFile {
            env["CLEARML_CONFIG_FILE"] = configFile
            env["TRAINS_CONFIG_FILE"] = configFile
        }
        if let logLevel { env["CLEARML_LOG_LEVEL"] = logLevel.uppercased() }
        if cpuOnly {
            env["CUDA_VISIBLE_DEVICES"] = ""
            env["NVIDIA_VISIBLE_DEVICES"] = "none"
        } else if let gpus, !gpus.isEmpty {
            env["NVIDIA_VISIBLE_DEVICES"] = gpus
            if gpus != "all" { env["CUDA_VISIBLE_DEVICES"] = gpus }
        }
        if let venv {
            env["VIRTUAL_ENV"] = venv
            env["PATH"] = (venv as NSString).appendingPathComponent("bin") + ":" + (base["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
            env.removeValue(forKey: "PYTHONHOME")
        }
        let paths = [base["PYTHONPATH"], scriptDirectory, extraPythonPath].compactMap { $0 }.filter { !$0.isEmpty }
        env["PYTHONPATH"] = paths.joined(separator: ":")
        if env["PYTHONIOENCODING"] == nil { env["PYTHONIOENCODING"] = "utf-8" }
        env["PYTHONUNBUFFERED"] = "1"
        return env
    }
}
