import Foundation
import JSONValue

/// Upstream's non-responsive task watchdog (`bll/task/non_responsive_tasks_watchdog.py`): an `in_progress` task
/// nobody updated for `nonResponsiveTaskTimeout` is stopped with reason "Forced stop (non-responsive)", so a
/// crashed agent does not leave it running forever.
struct Watchdog: Sendable {
    let state: ServerState

    static let reason = "Forced stop (non-responsive)"

    func run() async {
        let interval = max(state.configuration.watchdogInterval, 0.05)
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: .seconds(interval))
            } catch {
                return
            }
            do {
                let stopped = try await sweep(now: Date())
                if !stopped.isEmpty {
                    state.logger.notice("stopped non-responsive tasks", metadata: ["tasks": "\(stopped)"])
                }
            } catch {
                state.logger.error("watchdog sweep failed: \(error)")
            }
        }
    }

    /// Stops every stale task; returns their ids. The status check and write happen in one transaction, so a
    /// task that pinged meanwhile is left alone.
    @discardableResult
    func sweep(now: Date) async throws -> [String] {
        let cutoff = Timestamps.iso(now.addingTimeInterval(-state.configuration.nonResponsiveTaskTimeout))
        let nowString = Timestamps.iso(now)
        let identity = state.identity
        return try await state.store.write { db in
            var stopped: [String] = []
            for var task in try TaskStore.stale(db, olderThan: cutoff) {
                guard let id = task["id"]?.strictString else { continue }
                StatusChange.apply(
                    to: &task, status: .stopped, reason: Self.reason, message: nil, identity: identity, now: nowString)
                try TaskStore.save(db, task)
                stopped.append(id)
            }
            return stopped
        }
    }
}
