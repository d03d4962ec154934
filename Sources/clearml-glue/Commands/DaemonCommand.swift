#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import ClearMLAPI
import Foundation
import GlueCLI

/// `clearml-glue daemon --k8s ...`: upstream's `clearml-agent daemon` shape, for deployments that call
/// the glue that way. Only the Kubernetes mode exists here.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon", abstract: "Upstream-compatible entry: 'daemon --k8s' runs the glue controller (see 'glue --help').")

    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("k8s"), help: "Run as the Kubernetes glue (required).")
    var k8s = false
    @Flag(name: .customLong("foreground"), help: "Accepted for compatibility; the glue always runs in the foreground.")
    var foreground = false
    @Flag(name: .customLong("status"), help: "Print this glue's worker status from the ClearML server and exit.")
    var status = false
    @Flag(name: .customLong("stop"), help: "Stop the glue running on this machine (or container) with this worker id, or with the worker ids given after it, and unregister its worker, as upstream's 'daemon --stop'.")
    var stop = false
    @Argument(help: "With --stop: the worker ids to stop (default: CLEARML_WORKER_ID / agent.worker_id, else 'clearml-glue').")
    var stopWorkers: [String] = []
    @Option(name: .customLong("stop-timeout"), help: "With --stop: seconds to wait for a glue to finish after SIGTERM before it is killed (default 60).")
    var stopTimeout: Double = 60
    @OptionGroup var options: GlueOptions

    func validate() throws {
        if !stopWorkers.isEmpty && !stop { throw ValidationError("worker ids are only taken after --stop: \(stopWorkers.joined(separator: " "))") }
        if !k8s && !status && !stop { throw ValidationError("only the Kubernetes mode exists: pass --k8s (local docker/venv daemons are upstream clearml-agent's)") }
        if stopTimeout <= 0 { throw ValidationError("--stop-timeout must be a positive number of seconds") }
    }

    func run() async throws {
        if stop {
            try global.bootstrapLogging()
            let settings = try global.loadSettings()
            let workers = stopWorkers.isEmpty ? [settings.agent.workerId ?? "clearml-glue"] : stopWorkers
            var failed = false
            for worker in workers {
                if !(try await GlueStopper(global: global, worker: worker, timeout: .milliseconds(Int64(stopTimeout * 1000))).stop()) { failed = true }
            }
            if failed { throw ExitCode(1) }
            return
        }
        if status {
            try global.bootstrapLogging()
            let settings = try global.loadSettings()
            let worker = settings.agent.workerId ?? "clearml-glue"
            let workers = try await global.makeSession().workers(lastSeen: 0)
            let mine = workers.filter { $0.document["id"]?.stringValue == worker }
            print(mine.isEmpty ? "worker \(worker): not registered (not running)" : "worker \(worker): running, \(mine[0].document.encodedString())")
            return
        }
        try await GlueRunner(global: global, options: options).run()
    }
}

/// `daemon --stop` for one worker id: SIGTERM to the glue processes recorded for it on this machine (the glue
/// then finishes its launches, unregisters and exits), SIGKILL after the timeout as upstream's
/// `terminate_process`, then the worker's registration removed if it is still there.
struct GlueStopper {
    let global: GlobalOptions
    let worker: String
    let timeout: Duration

    /// True when a glue was stopped or its leftovers cleaned; false when nothing of `worker` was found here.
    func stop() async throws -> Bool {
        let directory = GluePidFile.directory()
        let entries = GluePidFile.entries(in: directory, worker: worker)
        var stopped = 0
        for entry in entries {
            guard GluePidFile.isAlive(entry) else {
                print("worker \(worker): pid \(entry.pid) is no longer running; removing its stale record \(entry.path)")
                try? FileManager.default.removeItem(atPath: entry.path)
                continue
            }
            print("Terminating clearml-glue worker_id=\(worker) pid=\(entry.pid)")
            guard kill(entry.pid, SIGTERM) == 0 else {
                let reason = String(cString: strerror(errno))
                print("worker \(worker): cannot signal pid \(entry.pid) (\(reason)): run 'daemon --stop' as the user the glue runs as")
                return false
            }
            if await waitForExit(entry) {
                stopped += 1
            } else {
                print("worker \(worker): pid \(entry.pid) did not exit within \(timeout) after SIGTERM; killing it")
                kill(entry.pid, SIGKILL)
                _ = await waitForExit(entry, within: .seconds(10))
                stopped += 1
            }
            // A glue that exits on its own removes its record; one that was killed cannot.
            try? FileManager.default.removeItem(atPath: entry.path)
        }
        let session: ClearMLSession
        let registered: Bool
        do {
            session = try global.makeSession(retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(200), maxDelay: .seconds(1)))
            registered = try await session.workers(lastSeen: 0).contains { $0.id == worker }
        } catch {
            // The local stop stands; only the registration could not be checked (the server times it out anyway).
            print("worker \(worker): could not check its registration on the ClearML server: \(error)")
            return !entries.isEmpty
        }
        if registered {
            if entries.isEmpty {
                // Registered, but no glue of this id runs here: it runs elsewhere, and unregistering a live glue
                // would only make it register again.
                print("""
                    worker \(worker) is registered on the server, but no glue with this worker id runs here \
                    (no record in \(directory)): run 'clearml-glue daemon --stop' where it runs (in Kubernetes: \
                    kubectl exec deploy/<glue> -- clearml-glue daemon --stop), or scale its Deployment to 0
                    """)
                return false
            }
            try await session.unregisterWorker(worker)
            print("worker \(worker): unregistered")
        }
        if entries.isEmpty {
            print("Could not find a running clearml-glue with worker_id=\(worker) (no record in \(directory), not registered on the server)")
            return false
        }
        print(stopped > 0 ? "worker \(worker): stopped" : "worker \(worker): was not running")
        return true
    }

    private func waitForExit(_ entry: GluePidFile.Entry, within limit: Duration? = nil) async -> Bool {
        let deadline = ContinuousClock.now + (limit ?? timeout)
        while GluePidFile.isAlive(entry) && !isZombie(entry.pid) {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return true
    }

    /// An exited child of ours that nobody reaped yet (a test harness, a shell) still answers kill(0).
    private func isZombie(_ pid: Int32) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return false }
        return text[text.index(after: close)...].split(separator: " ").first == "Z"
    }
}
