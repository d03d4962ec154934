import ClearMLAPI
import Foundation
import JSONValue
import Logging

/// While a task runs: polls for an abort at least every `abortInterval` (status_message `stopping`, or a
/// status change), pings the task and reports the worker with machine statistics. Server errors are
/// logged and the loops go on; only a stop decision ends the abort loop.
public struct TaskMonitor: Sendable {
    public var session: ClearMLSession
    public var taskID: String
    public var worker: String
    public var abortInterval: Duration = .milliseconds(500)
    public var pingInterval: Duration = .seconds(30)
    public var reportInterval: Duration = .seconds(30)
    /// `--full-monitoring`: ping and report; otherwise only the abort poll runs.
    public var full: Bool
    public var includeGPU: Bool
    /// Reported with every status report (`CLEARML_WORKER_TAGS`).
    public var tags: [String] = []
    public var logger: Logger

    public init(session: ClearMLSession, taskID: String, worker: String, full: Bool, includeGPU: Bool, logger: Logger) {
        self.session = session
        self.taskID = taskID
        self.worker = worker
        self.full = full
        self.includeGPU = includeGPU
        self.logger = logger
    }

    /// Runs until cancelled; calls `onStop` once when the task must stop.
    public func run(runner: StepRunner, onStop: @escaping @Sendable (StopReason) async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.watchAbort(onStop: onStop) }
            if full { group.addTask { await self.heartbeat(runner: runner) } }
            await group.waitForAll()
        }
    }

    private func watchAbort(onStop: @Sendable (StopReason) async -> Void) async {
        var decision = StopDecision()
        var warned = false
        while !Task.isCancelled {
            do {
                let task = try await session.taskFields(id: taskID, ["id", "status", "status_message"])
                warned = false
                if let reason = decision.evaluate(task) {
                    await onStop(reason)
                    return
                }
            } catch {
                if !warned { logger.warning("abort check failed; retrying", metadata: ["task": "\(taskID)", "error": "\(error)"]) }
                warned = true
            }
            try? await Task.sleep(for: abortInterval)
        }
    }

    private func heartbeat(runner: StepRunner) async {
        var stats = MachineStats(includeGPU: includeGPU)
        _ = stats.sample()
        var lastPing = ContinuousClock.now
        while !Task.isCancelled {
            var sample = stats.sample()
            if includeGPU, let gpu = await MachineStats.gpuStats(runner: runner) {
                sample = sample.mergePatched(with: gpu)
            }
            do {
                try await session.reportWorkerStatus(worker, task: taskID, machineStats: sample, tags: tags)
            } catch {
                logger.warning("worker status report failed", metadata: ["error": "\(error)"])
            }
            if ContinuousClock.now - lastPing >= pingInterval {
                lastPing = .now
                do { try await session.ping(task: taskID) } catch {
                    logger.warning("task ping failed", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: min(reportInterval, pingInterval))
        }
    }
}
