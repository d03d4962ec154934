import ClearMLAPI
import ClearMLConfig
import Foundation
import Logging

/// What every part of a run shares: settings, the session, the process environment and identity.
public struct AgentContext: Sendable {
    public var settings: ClearMLSettings
    public var session: ClearMLSession
    public var environment: [String: String]
    public var hostname: String
    /// The worker id: `CLEARML_WORKER_ID` / `agent.worker_id`, else `<hostname>:<pid>` as upstream.
    public var worker: String
    /// The clearml.conf the agent read, handed to the SDK as CLEARML_CONFIG_FILE.
    public var configFile: String?
    public var logLevel: String?
    public var logger: Logger

    public init(settings: ClearMLSettings, session: ClearMLSession, environment: [String: String], hostname: String,
                worker: String, configFile: String?, logLevel: String?, logger: Logger) {
        self.settings = settings
        self.session = session
        self.environment = environment
        self.hostname = hostname
        self.worker = worker
        self.configFile = configFile
        self.logLevel = logLevel
        self.logger = logger
    }

    /// The pod's name: Kubernetes sets HOSTNAME to it.
    public var podName: String? { environment["HOSTNAME"].flatMap { $0.isEmpty ? nil : $0 } }

    public func expand(_ path: String) -> String {
        PathExpansion.expandingTilde(path, home: environment["HOME"] ?? settings.homeDirectory)
    }

    /// The worker id to use when none is configured.
    public static func defaultWorker(settings: ClearMLSettings, hostname: String) -> String {
        settings.agent.workerId ?? "\(hostname):\(getpid())"
    }
}
