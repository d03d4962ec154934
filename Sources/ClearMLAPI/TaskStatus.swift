/// ClearML task statuses; unknown strings from newer servers are kept, not rejected.
public struct TaskStatus: RawRepresentable, Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }

    public static let created: TaskStatus = "created"
    public static let queued: TaskStatus = "queued"
    public static let inProgress: TaskStatus = "in_progress"
    public static let stopped: TaskStatus = "stopped"
    public static let failed: TaskStatus = "failed"
    public static let completed: TaskStatus = "completed"
    public static let published: TaskStatus = "published"
    public static let publishing: TaskStatus = "publishing"
    public static let closed: TaskStatus = "closed"
    public static let unknown: TaskStatus = "unknown"

    /// The run is over: nothing will execute it unless it is enqueued again.
    public var isFinal: Bool { [.stopped, .failed, .completed, .published, .publishing, .closed].contains(self) }
}
