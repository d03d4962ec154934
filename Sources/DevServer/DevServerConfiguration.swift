import Foundation

/// How to run the embedded server. Defaults match upstream where upstream has a default.
public struct DevServerConfiguration: Sendable {
    /// Interface to bind; loopback unless asked otherwise, since the server holds credentials.
    public var host: String = "127.0.0.1"
    /// TCP port; 0 picks a free one (read it back from `DevServer.port`).
    public var port: Int = 0
    /// Where `clearml.sqlite` lives; nil = a fresh temporary directory (removed by `stop()`).
    public var dataDirectory: String?
    /// Fixed credentials; nil = generated on first start and persisted in the data directory.
    public var accessKey: String?
    public var secretKey: String?
    /// Larger request bodies are refused with 413.
    public var maxBodyBytes: Int = 64 * 1024 * 1024
    /// Lifetime of tokens from `auth.login` without `expiration_sec` (upstream: 30 days).
    public var tokenLifetime: TimeInterval = 30 * 86400
    /// `in_progress` tasks not updated for this long are stopped by the watchdog (upstream: 7200 s).
    public var nonResponsiveTaskTimeout: TimeInterval = 7200
    /// How often the watchdog looks (upstream: 300 s).
    public var watchdogInterval: TimeInterval = 300
    /// `tasks.stop` on a running task only requests the stop when its worker reported within this window
    /// (upstream `apiserver.workers.task_update_timeout`: 600 s); otherwise it stops the task outright.
    public var taskUpdateTimeout: TimeInterval = 600
    /// Queue tags whose queues `queues.get_all` hides unless asked (upstream `services.queues.hidden_tags`).
    public var hiddenQueueTags: [String] = ["k8s-glue"]
    /// Writes every request (one JSON line: path, headers without credentials, body, status) to this file; for
    /// tests that compare the calls clients make. nil: nothing is recorded.
    public var recordRequestsPath: String?

    public init(
        host: String = "127.0.0.1", port: Int = 0, dataDirectory: String? = nil,
        accessKey: String? = nil, secretKey: String? = nil
    ) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.accessKey = accessKey
        self.secretKey = secretKey
    }
}

public enum DevServerError: Error, CustomStringConvertible, Sendable {
    case invalidConfiguration(String)
    case startFailed(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let message): "invalid server configuration: \(message)"
        case .startFailed(let message): "the server did not start: \(message)"
        }
    }
}
