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
