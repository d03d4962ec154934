import Foundation
import GlueTestSupport
import HTTPClient

/// The built `clearml-glue glue` as a child process, so tests can SIGKILL it like a crashed pod.
final class GlueProcess: @unchecked Sendable {
    let process = Process()
    let logPath: String

    /// Runs as the glue's ServiceAccount (`h.glue`); with `--leader-elect` in `extra`, grant
    /// `.leaderElection` first (`h.grant`).
    /// `reconcileInterval`: seconds between reconcile passes (one pass also runs at start).
    init(harness h: GlueHarness, queues: [String], directory: String, extra: [String] = [], name: String = "glue",
         environment: [String: String] = [:], reconcileInterval: String = "0.5") throws {
        if extra.contains("--leader-elect"), !h.granted.contains(.leaderElection) {
            throw GlueProcessError("--leader-elect needs the leader-election Role: call h.grant(.leaderElection) first")
        }
        let binary = try GlueBinary.path()
        let template = directory + "/template.yaml"
        if !FileManager.default.fileExists(atPath: template) {
            try """
                spec:
                  terminationGracePeriodSeconds: 2
                  containers:
                  - name: clearml-task
                    env:
                    - {name: CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL, value: "1"}

                """.write(toFile: template, atomically: true, encoding: .utf8)
        }
        logPath = directory + "/\(name)-\(UUID().uuidString.prefix(6)).log"
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["glue", "--queue", queues.joined(separator: ","), "--namespace", "clearml", "--kubeconfig", h.glue.kubeconfigPath,
                             "--template-yaml", template, "--credentials-secret", "clearml-credentials", "--agent-mode", "injected",
                             "--agent-image", "clearml-glue:dev", "--agent-binary-path", binary, "--metrics-address", "127.0.0.1:0",
                             "--reconcile-interval", reconcileInterval, "--create-queue"] + extra
        process.environment = [
            "HOME": directory, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "CLEARML_API_HOST": h.server.baseURL, "CLEARML_API_ACCESS_KEY": h.server.accessKey, "CLEARML_API_SECRET_KEY": h.server.secretKey,
            "CLEARML_WORKER_ID": "glue-e2e", "CLEARML_DOCKER_IMAGE": "python:3.11-slim", "CLEARML_AGENT_QUEUE_POLL_FREQ_SEC": "0.1",
        ].merging(environment) { $1 }
        // One handle for both streams: two would each write from offset 0 and overwrite each other's lines.
        let logHandle = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The port of `/metrics` and `/readyz` (`--metrics-address 127.0.0.1:0`), once the log names it.
    var metricsPort: Int? {
        guard let range = log.range(of: #"listening on 127\.0\.0\.1:\d+"#, options: .regularExpression) else { return nil }
        return Int(log[range].split(separator: ":").last ?? "")
    }

    /// Waits until `/readyz` answers 200: the pod cache has synced and the ClearML server answered.
    func waitUntilReady(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        let http = try HTTPClient(configuration: HTTPClientConfiguration(proxy: .none))
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw GlueProcessError("the glue exited before it was ready: \(log.suffix(2000))") }
            if let port = metricsPort,
               let answer = try? await http.execute(HTTPRequest(url: "http://127.0.0.1:\(port)/readyz")), answer.status == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw GlueProcessError("the glue was not ready within \(timeout): \(log.suffix(2000))")
    }

    func kill(_ signal: Int32 = SIGKILL) {
        if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
    }

    /// Waits for the process to exit (polling: waitUntilExit spins on Linux when it races a deinit).
    func waitForExit(timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        return !process.isRunning
    }

    deinit { if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) } }
}

struct GlueProcessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A fresh folder for one test's glue processes (template, logs).
func scratch(_ name: String) throws -> String {
    let directory = NSTemporaryDirectory() + "glue-\(name)-" + UUID().uuidString.prefix(8)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return directory
}

/// Runs `body`; when it fails, the glue logs go with the failure (printed), since they say why.
func showingLogs<T>(_ glues: [GlueProcess], _ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        for glue in glues { print("--- \(glue.logPath):\n\(glue.log.suffix(8000))") }
        throw error
    }
}
