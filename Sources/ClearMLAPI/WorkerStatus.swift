import Foundation
import JSONValue

/// A worker as `workers.get_all` reports it.
public struct WorkerStatus: Sendable, Equatable {
    public var document: JSONValue
    public init(_ document: JSONValue) { self.document = document }

    public var id: String { document["id"]?.stringValue ?? "" }
    public var user: String? { document.value(at: "user.name")?.stringValue }
    public var ip: String? { document["ip"]?.stringValue }
    public var lastActivityTime: String? { document["last_activity_time"]?.stringValue }
    public var taskID: String? { document.value(at: "task.id")?.stringValue }
    public var taskName: String? { document.value(at: "task.name")?.stringValue }
    public var taskRunningTime: Int64? { document.value(at: "task.running_time")?.intValue }
    public var queueNames: [String] {
        document["queues"]?.arrayValue?.compactMap { $0["name"]?.stringValue ?? $0["id"]?.stringValue } ?? []
    }
}

/// One console line (or several joined), as `events.add_batch` takes it.
public struct LogEvent: Sendable, Equatable {
    public var task: String
    public var message: String
    public var level: String
    /// Epoch milliseconds; nil lets the server stamp it on arrival.
    public var timestamp: Int64?
    public var worker: String?

    public init(task: String, message: String, level: String = "info", timestamp: Int64? = nil, worker: String? = nil) {
        self.task = task
        self.message = message
        self.level = level
        // Stamped when the line is made, as upstream's agent stamps its events: a line sent late (a batching
        // outbox, a server outage) keeps its time and its place in the task's console.
        self.timestamp = timestamp ?? Int64((Date().timeIntervalSince1970 * 1000).rounded())
        self.worker = worker
    }

    var json: JSONValue {
        var event: JSONValue = ["type": "log", "task": .string(task), "msg": .string(message), "level": .string(level)]
        if let timestamp { event["timestamp"] = .int(timestamp) }
        if let worker { event["worker"] = .string(worker) }
        return event
    }
}
