import JSONValue

public struct ClearMLQueue: Sendable, Equatable {
    public var document: JSONValue
    public init(_ document: JSONValue) { self.document = document }

    public var id: String { document["id"]?.stringValue ?? "" }
    public var name: String { document["name"]?.stringValue ?? "" }
    public var tags: [String] { document["tags"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    public var systemTags: [String] { document["system_tags"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    /// Task ids in queue order.
    public var entries: [String] { document["entries"]?.arrayValue?.compactMap { $0["task"]?.stringValue } ?? [] }
}

/// What `queues.get_next_task` popped.
public struct QueueEntry: Sendable, Equatable {
    public var task: String
    public var added: String?
    /// `task_info.user`/`company` when asked with `get_task_info`.
    public var taskUser: String?
}

/// What `queueOccupancy` found: the queues the server knows, and those with at least one entry.
public struct QueueOccupancy: Sendable, Equatable {
    public var present: Set<String> = []
    public var waiting: Set<String> = []
    static let chunk = 200

    public init(present: Set<String> = [], waiting: Set<String> = []) {
        self.present = present
        self.waiting = waiting
    }
}
