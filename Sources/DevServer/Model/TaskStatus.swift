/// Task statuses and the upstream transition table (clearml-server `bll/task/utils.py state_machine`).
enum TaskStatus: String, Sendable, CaseIterable {
    case created, queued, inProgress = "in_progress", stopped, failed, completed, published, publishing, closed, unknown

    /// Targets reachable without `force`. Same-state changes are handled separately (always allowed upstream).
    var allowedTargets: Set<TaskStatus> {
        switch self {
        case .created: [.queued, .inProgress]
        case .queued: [.created, .inProgress, .stopped]
        case .inProgress: [.stopped, .failed, .created, .completed]
        case .stopped: [.closed, .created, .failed, .queued, .inProgress, .published, .publishing, .completed]
        case .failed: [.created, .stopped, .published, .queued]
        case .completed: [.published, .inProgress, .created]
        case .closed: [.created, .failed, .published, .publishing, .stopped]
        case .publishing: [.published]
        case .published, .unknown: []
        }
    }
}

/// The decision of a status change, computed without I/O so it can be table-tested.
enum StatusMachine {
    /// Whether `current -> target` may happen. `force` skips validation entirely, as upstream does.
    static func validate(from current: TaskStatus, to target: TaskStatus, force: Bool) -> Result<TaskStatus, APIError> {
        if force || current == target || current.allowedTargets.contains(target) {
            return .success(target)
        }
        return .failure(.invalidTaskStatus(
            "Invalid status change: current_status=\(current.rawValue), new_status=\(target.rawValue)"))
    }

    /// The outcome of a user abort (`tasks.stop`): upstream stops a task outright when nobody is running it, and
    /// otherwise only flags it (`status_message = "stopping"`) so the executing agent can shut down cleanly.
    enum StopOutcome: Equatable, Sendable {
        case stopNow
        case requestStop
    }

    static func stopOutcome(current: TaskStatus, isDevelopment: Bool, hasLiveWorker: Bool, force: Bool)
        -> Result<StopOutcome, APIError>
    {
        if current == .inProgress && !isDevelopment && hasLiveWorker {
            return .success(.requestStop)
        }
        return validate(from: current, to: .stopped, force: force).map { _ in .stopNow }
    }

    /// Status a dequeued task returns to (`tasks.dequeue`, `queues.remove_task update_task_status`).
    static func dequeueTarget(current: TaskStatus, requested: TaskStatus?, enqueueStatus: TaskStatus?)
        -> TaskStatus?
    {
        guard current == .queued || current == .inProgress else { return nil }
        return requested ?? enqueueStatus ?? .created
    }
}
