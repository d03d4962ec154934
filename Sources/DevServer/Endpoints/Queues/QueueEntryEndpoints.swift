import GRDB
import JSONValue

/// Queue entry operations: `add_task`, `remove_task`, `get_next_task` (atomic pop), `peek_task`,
/// `get_num_entries`, `clear_queue`, `move_task_to_front/back`.
enum QueueEntryEndpoints {
    static func make(_ state: ServerState) -> [Endpoint] {
        [
            Endpoint(name: "queues.add_task", versions: [APIVersion(2, 4), APIVersion(2, 31)], authenticated: true) { call in
                let queue = try call.requiredString("queue")
                let task = try call.requiredString("task")
                let updateExecutionQueue = try call.bool("update_execution_queue", default: true)
                let now = call.nowString
                return try await state.store.write { db in
                    _ = try QueueEndpoints.existing(db, id: queue, company: state.company)
                    try QueueStore.append(db, queue: queue, task: task, now: now)
                    // Upstream does not require the task to exist; it only records the queue on it when it does.
                    if updateExecutionQueue, var document = try TaskStore.task(db, id: task) {
                        document.set(.string(queue), at: ["execution", "queue"])
                        try TaskStore.save(db, document)
                    }
                    return ["added": 1]
                }
            },
            Endpoint(name: "queues.remove_task", versions: [APIVersion(2, 4), APIVersion(2, 31)], authenticated: true) { call in
                let queue = try call.requiredString("queue")
                let task = try call.requiredString("task")
                let updateStatus = try call.bool("update_task_status")
                let now = call.nowString
                let identity = call.identity
                return try await state.store.write { db in
                    guard try QueueStore.queue(db, id: queue) != nil,
                          try QueueStore.remove(db, queue: queue, task: task, now: now)
                    else {
                        throw APIError.taskNotInQueue(task: task, queue: queue, company: state.company)
                    }
                    if updateStatus, var document = try TaskStore.task(db, id: task),
                       document["status"]?.strictString == TaskStatus.queued.rawValue
                    {
                        let back = document["enqueue_status"]?.strictString.flatMap(TaskStatus.init(rawValue:)) ?? .created
                        StatusChange.apply(to: &document, status: back, reason: nil, message: nil, identity: identity, now: now)
                        if var execution = document["execution"]?.objectValue {
                            execution.removeValue(forKey: "queue")
                            document["execution"] = .object(execution)
                        }
                        try TaskStore.save(db, document)
                    }
                    return ["removed": 1]
                }
            },
            Endpoint(name: "queues.get_next_task", versions: [APIVersion(2, 4), APIVersion(2, 14), APIVersion(2, 21)],
                     authenticated: true) { call in
                try await getNextTask(state, call)
            },
            Endpoint(name: "queues.peek_task", versions: [APIVersion(2, 15)], authenticated: true) { call in
                let queue = try call.requiredString("queue")
                return try await state.store.read { db in
                    _ = try QueueEndpoints.existing(db, id: queue, company: state.company)
                    return ["task": try QueueStore.entries(db, queue: queue, limit: 1).first?["task"] ?? .null]
                }
            },
            Endpoint(name: "queues.get_num_entries", versions: [APIVersion(2, 20)], authenticated: true) { call in
                let queue = try call.requiredString("queue")
                return try await state.store.read { db in
                    _ = try QueueEndpoints.existing(db, id: queue, company: state.company)
                    return ["num": .int(Int64(try QueueStore.count(db, queue: queue)))]
                }
            },
            Endpoint(name: "queues.clear_queue", versions: [APIVersion(2, 20)], authenticated: true) { call in
                let queue = try call.requiredString("queue")
                let now = call.nowString
                let identity = call.identity
                return try await state.store.write { db in
                    _ = try QueueEndpoints.existing(db, id: queue, company: state.company)
                    let tasks = try String.fetchAll(db, sql: "SELECT task FROM queue_entries WHERE queue = ?", arguments: [queue])
                    try db.execute(sql: "DELETE FROM queue_entries WHERE queue = ?", arguments: [queue])
                    for id in tasks {
                        guard var task = try TaskStore.task(db, id: id), task["status"]?.strictString == "queued" else { continue }
                        let back = task["enqueue_status"]?.strictString.flatMap(TaskStatus.init(rawValue:)) ?? .created
                        StatusChange.apply(to: &task, status: back, reason: nil, message: nil, identity: identity, now: now)
                        try TaskStore.save(db, task)
                    }
                    return ["removed_tasks": JSONValue(tasks)]
                }
            },
            move(state, "queues.move_task_to_front") { db, queue, task, now in
                try QueueStore.moveToFront(db, queue: queue, task: task, now: now)
            },
            move(state, "queues.move_task_to_back") { db, queue, task, now in
                try QueueStore.moveToBack(db, queue: queue, task: task, now: now)
            },
        ]
    }

    private static func move(
        _ state: ServerState, _ name: String,
        _ operation: @escaping @Sendable (Database, String, String, String) throws -> Bool
    ) -> Endpoint {
        Endpoint(name: name, versions: [APIVersion(2, 4)], authenticated: true) { call in
            let queue = try call.requiredString("queue")
            let task = try call.requiredString("task")
            let now = call.nowString
            return try await state.store.write { db in
                _ = try QueueEndpoints.existing(db, id: queue, company: state.company)
                guard try operation(db, queue, task, now) else {
                    throw APIError.taskNotInQueue(task: task, queue: queue, company: state.company)
                }
                let position = try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM queue_entries WHERE queue = ?1
                    AND position < (SELECT position FROM queue_entries WHERE queue = ?1 AND task = ?2)
                    """, arguments: [queue, task]) ?? 0
                return ["position": .int(Int64(position))]
            }
        }
    }

    /// Atomic pop of the head entry. The task status is left alone (it stays `queued`), except that a task
    /// stopped while waiting goes back to `queued`, as upstream does.
    private static func getNextTask(_ state: ServerState, _ call: APICall) async throws -> JSONValue {
        let queue = try call.requiredString("queue")
        let onlyTask = try call.string("task")
        let withInfo = try call.bool("get_task_info")
        let now = call.nowString
        let identity = call.identity
        return try await state.store.write { db in
            _ = try QueueEndpoints.existing(db, id: queue, company: state.company)
            guard let entry = try QueueStore.popHead(db, queue: queue, onlyTask: onlyTask, now: now) else {
                return .object([:])
            }
            var result: JSONValue = ["entry": ["task": .string(entry.task), "added": .string(entry.added)]]
            if var task = try TaskStore.task(db, id: entry.task) {
                if task["status"]?.strictString == TaskStatus.stopped.rawValue {
                    StatusChange.apply(to: &task, status: .queued, reason: nil, message: nil, identity: identity, now: now)
                    try TaskStore.save(db, task)
                }
                if withInfo {
                    result["task_info"] = ["company": task["company"] ?? .null, "user": task["user"] ?? .null]
                }
            }
            return result
        }
    }
}
