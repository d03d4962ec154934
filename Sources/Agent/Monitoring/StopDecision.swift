import ClearMLAPI

/// Reads one abort poll (`status`, `status_message`) as upstream's TaskStopSignal does.
public struct StopDecision: Sendable {
    /// Consecutive polls that saw `created`; a reset is only believed after a few.
    private var createdStreak = 0
    public static let resetPolls = 4

    public init() {}

    /// nil: keep running.
    public mutating func evaluate(_ task: ClearMLTask?) -> StopReason? {
        guard let task else { return .notFound }
        let status = task.status
        if status == .created {
            createdStreak += 1
            return createdStreak >= Self.resetPolls ? .reset : nil
        }
        createdStreak = 0
        switch status {
        case .inProgress:
            return (task.statusMessage ?? "").lowercased().contains("stopping") ? .abortRequested : nil
        case .stopped, .failed, .completed, .published, .closed, .queued:
            return .statusChanged(status.rawValue)
        default:
            return nil
        }
    }
}
