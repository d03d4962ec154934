/// What the scheduler knows about which served queues hold work, from the last `queues.get_all` survey
/// (`ClearMLSession.queueOccupancy`). With several queues one survey replaces one pop per queue, so an idle
/// glue costs one call per tick whatever the number of queues; pops go only to queues seen waiting.
///
/// The survey is repeated when nothing known to wait is left, and at least every `refresh` while busy, so a
/// task arriving on another queue (perhaps one of higher priority) waits no longer than an idle tick.
public struct QueueSurvey: Sendable, Equatable {
    public let refresh: Duration
    public private(set) var waiting: Set<String> = []
    public private(set) var takenAt: ContinuousClock.Instant?

    public init(refresh: Duration) { self.refresh = refresh }

    /// Whether to survey before popping any of `candidates` (the queues allowed this round).
    public func due(candidates: [String], now: ContinuousClock.Instant) -> Bool {
        guard let takenAt else { return true }
        return now - takenAt >= refresh || !candidates.contains(where: waiting.contains)
    }

    public mutating func record(waiting: Set<String>, at now: ContinuousClock.Instant) {
        self.waiting = waiting
        takenAt = now
    }

    /// A pop found the queue empty (another consumer got there first): do not pop it again until a survey
    /// says so.
    public mutating func drained(_ queue: String) { waiting.remove(queue) }

    public func mayHaveWork(_ queue: String) -> Bool { waiting.contains(queue) }
}
