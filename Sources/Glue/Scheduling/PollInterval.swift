/// How long the scheduler waits before polling its queues again. ClearML has no push, so latency is the
/// poll interval: poll again at once while tasks flow, and back off to `idle` when queues are empty. An idle
/// round is one call whatever the number of queues (a pop for one queue, a `QueueSurvey` for several), so
/// `idle` alone sets the idle cost: 1 / idle calls a second, and at most `idle` of added latency.
public struct PollInterval: Sendable, Equatable {
    public var busy: Duration
    public var idle: Duration
    public private(set) var current: Duration

    public init(busy: Duration = .zero, idle: Duration = .milliseconds(250)) {
        self.busy = busy
        self.idle = max(idle, busy)
        current = busy
    }

    /// After a round of polls: `found` tells whether any queue handed out a task.
    public mutating func record(found: Bool) -> Duration {
        if found {
            current = busy
        } else {
            // Double towards idle so a burst that pauses briefly still finds the glue quick.
            let next = current == .zero ? .milliseconds(25) : current * 2
            current = min(next, idle)
        }
        return current
    }
}

/// The order queues are polled in each round: strict priority (the first queue always first, as upstream),
/// or `--order-fairness`, where the queue after the last one served goes first.
public struct QueueRotation: Sendable, Equatable {
    public let queues: [String]
    public let fair: Bool
    private var start = 0

    public init(queues: [String], fair: Bool) {
        self.queues = queues
        self.fair = fair
    }

    public func order() -> [String] {
        guard fair, !queues.isEmpty else { return queues }
        return Array(queues[start...] + queues[..<start])
    }

    public mutating func served(_ queue: String) {
        guard fair, let index = queues.firstIndex(of: queue) else { return }
        start = (index + 1) % queues.count
    }
}
