#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Why a run is being stopped before its process ended by itself.
public enum StopReason: Sendable, Equatable, CustomStringConvertible {
    /// `tasks.stop` on the running task (status_message `stopping`): report `stopped`.
    case abortRequested
    /// Someone else changed the status (stopped, failed, queued...): log only, report nothing.
    case statusChanged(String)
    /// The task was reset to `created` under us.
    case reset
    /// The task no longer exists.
    case notFound
    /// The agent itself got SIGTERM/SIGINT (pod deleted, node drained): report `stopped` with the signal.
    case terminated(signal: Int32)

    public var description: String {
        switch self {
        case .abortRequested: "stopped by the user (tasks.stop)"
        case .statusChanged(let status): "the task status changed to '\(status)' under the agent"
        case .reset: "the task was reset"
        case .notFound: "the task was deleted"
        case .terminated(let signal): "the agent received \(signal == SIGINT ? "SIGINT" : "SIGTERM") (pod deletion or node drain)"
        }
    }

    /// Whether the agent reports `tasks.stopped` for this reason (otherwise the new status stands).
    public var reportsStopped: Bool {
        switch self {
        case .abortRequested, .terminated: true
        case .statusChanged, .reset, .notFound: false
        }
    }
}

/// Thrown by setup steps when a stop was requested before or while they ran.
public struct StopRequested: Error, Sendable, Equatable {
    public let reason: StopReason
}

/// The run's stop switch: the process currently running (a setup step or the task itself) and whether a
/// stop was asked for. A stop sends SIGTERM to the process group, then SIGKILL after the grace period.
public actor RunControl {
    public private(set) var stopReason: StopReason?
    private var current: ChildProcess?
    private var terminating = false
    public let grace: Duration

    public init(grace: Duration = .seconds(3)) { self.grace = grace }

    /// Records the reason (the first one wins) without touching the process yet: setup steps not yet
    /// started will not start. Returns false when a stop was already requested.
    @discardableResult
    public func markStopping(_ reason: StopReason) -> Bool {
        guard stopReason == nil else { return false }
        stopReason = reason
        return true
    }

    /// SIGTERM to the current process group, SIGKILL after `grace` if it is still there.
    public func terminate() {
        terminating = true
        guard let child = current else { return }
        kill(child)
    }

    private func kill(_ child: ChildProcess) {
        child.signalGroup(SIGTERM)
        let grace = self.grace
        Task {
            try? await Task.sleep(for: grace)
            child.signalGroup(SIGKILL)
        }
    }

    /// Makes `child` the process a stop acts on; if the stop is already under way it is killed at once.
    public func attach(_ child: ChildProcess) {
        current = child
        if terminating { kill(child) }
    }

    public func detach(_ child: ChildProcess) {
        if current === child { current = nil }
    }

    public func checkNotStopped() throws(StopRequested) {
        if let stopReason { throw StopRequested(reason: stopReason) }
    }
}
