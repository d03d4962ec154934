import Foundation
import GRDB
import JSONValue

/// `tasks.enqueue`, `tasks.dequeue`, `tasks.stop`: status changes that also move queue entries, done in one
/// transaction so a task's status and its queue membership never disagree.
enum TaskQueueingEndpoints {
    static func make(_ state: ServerState) -> [Endpoint] {
        [
            Endpoint(name: "tasks.enqueue", versions: [APIVersion(1, 5), APIVersion(2, 19), APIVersion(2, 22), APIVersion(2, 31)],
                     authenticated: true) { call in try await enqueue(state, call) },
            Endpoint(name: "tasks.dequeue", versions: [APIVersion(1, 5), APIVersion(2, 25), APIVersion(2, 26)],
                     authenticated: true) { call in try await dequeue(state, call) },
            Endpoint(name: "tasks.stop", versions: [APIVersion(1, 0), APIVersion(2, 30)],
                     authenticated: true) { call in try await stop(state, call) },
        ]
    }

    static func enqueue(_ state: ServerState, _ call: APICall) async throws -> JSONValue {
        let id = try call.requiredString("task")
        let queueID = try call.string("queue")
        let queueName = try call.string("queue_name")
        let force = try call.bool("force")
        let reason = try call.string("status_reason")
        let message = try call.string("status_message")
        let updateExecutionQueue = try call.bool("update_execution_queue", default: true)
        let now = call.nowString
        let identity = call.identity
        return try await state.store.write { db in
            var task = try TaskStore.existing(db, id: id, company: state.company)
            let queue = try resolveQueue(db, id: queueID, name: queueName, identity: identity, now: now, company: state.company)
            let current = TaskStatus(rawValue: task["status"]?.strictString ?? "") ?? .unknown
            _ = try StatusMachine.validate(from: current, to: .queued, force: force).get()
            // Upstream reverts the status change when the entry exists; checking first has the same effect.
            if try QueueStore.contains(db, queue: queue, task: id) {
                throw APIError.entryAlreadyInQueue(task: id, queue: queue)
            }
            try QueueStore.removeEverywhere(db, task: id, keeping: queue, now: now)
            try QueueStore.append(db, queue: queue, task: id, now: now)
            var fields = StatusChange.apply(to: &task, status: .queued, reason: reason, message: message,
                                            identity: identity, now: now)
            StatusChange.set("enqueue_status", .string(current.rawValue), on: &task, fields: &fields)
            if updateExecutionQueue { StatusChange.set("execution.queue", .string(queue), on: &task, fields: &fields) }
            try TaskStore.save(db, task)
            return ["updated": 1, "fields": .object(fields), "queued": 1]
        }
    }

    /// `queue` id, else `queue_name` (created when missing, as upstream), else the default queue.
    private static func resolveQueue(
        _ db: Database, id: String?, name: String?, identity: Identity, now: String, company: String
    ) throws -> String {
        if let id, !id.isEmpty {
            guard try QueueStore.queue(db, id: id) != nil else { throw APIError.invalidQueueID(id, company: company) }
            return id
        }
        if let name, !name.isEmpty {
            if let queue = try QueueStore.queue(db, name: name), let existing = queue["id"]?.strictString { return existing }
            return try QueueStore.create(db, name: name, tags: [], systemTags: [], metadata: nil, displayName: nil,
                                         identity: identity, now: now)
        }
        let defaults = try QueueStore.defaultQueues(db)
        guard let queue = defaults.first?["id"]?.strictString else { throw APIError.noDefaultQueue }
        guard defaults.count == 1 else { throw APIError(400, 708, "More than one queue is tagged as the default queue for this company") }
        return queue
    }

    static func dequeue(_ state: ServerState, _ call: APICall) async throws -> JSONValue {
        let id = try call.requiredString("task")
        let requested = try call.string("new_status")
        let reason = try call.string("status_reason")
        let message = try call.string("status_message")
        let everywhere = try call.bool("remove_from_all_queues")
        let now = call.nowString
        let identity = call.identity
        var target: TaskStatus?
        if let requested {
            guard let status = TaskStatus(rawValue: requested) else {
                throw APIError.validation("new_status: unknown status \(requested)")
            }
            target = status
        }
        let requestedStatus = target
        return try await state.store.write { db in
            var task = try TaskStore.existing(db, id: id, company: state.company)
            if everywhere {
                try QueueStore.removeEverywhere(db, task: id, now: now)
            } else if let queue = task["execution"]?["queue"]?.strictString {
                try QueueStore.remove(db, queue: queue, task: id, now: now)
            }
            let current = TaskStatus(rawValue: task["status"]?.strictString ?? "") ?? .unknown
            let enqueueStatus = task["enqueue_status"]?.strictString.flatMap(TaskStatus.init(rawValue:))
            guard let newStatus = StatusMachine.dequeueTarget(
                current: current, requested: requestedStatus, enqueueStatus: enqueueStatus)
            else {
                return ["dequeued": 1, "updated": 0, "fields": .object([:])]
            }
            var fields = StatusChange.apply(to: &task, status: newStatus, reason: reason, message: message,
                                            identity: identity, now: now)
            StatusChange.set("enqueue_status", .null, on: &task, fields: &fields)
            try TaskStore.save(db, task)
            return ["dequeued": 1, "updated": 1, "fields": .object(fields)]
        }
    }

    /// User abort. Queued, development, or unattended tasks stop now; a task an agent is running is only
    /// flagged `stopping` so the agent can kill its process and report `tasks.stopped` itself.
    static func stop(_ state: ServerState, _ call: APICall) async throws -> JSONValue {
        let id = try call.requiredString("task")
        let force = try call.bool("force")
        let reason = try call.string("status_reason")
        let now = call.now
        let nowString = call.nowString
        let identity = call.identity
        let timeout = state.configuration.taskUpdateTimeout
        return try await state.store.write { db in
            var task = try TaskStore.existing(db, id: id, company: state.company)
            let current = TaskStatus(rawValue: task["status"]?.strictString ?? "") ?? .unknown
            let development = task["system_tags"]?.stringList?.contains("development") ?? false
            let lastUpdate = task["last_update"]?.strictString.flatMap(Timestamps.parse)
            let liveWorker = !(task["last_worker"]?.strictString ?? "").isEmpty
                && (lastUpdate.map { now.timeIntervalSince($0) <= timeout } ?? false)
            let outcome = try StatusMachine.stopOutcome(
                current: current, isDevelopment: development, hasLiveWorker: liveWorker, force: force).get()
            let fields: [String: JSONValue]
            switch outcome {
            case .requestStop:
                fields = StatusChange.apply(to: &task, status: current, reason: reason, message: "stopping",
                                            identity: identity, now: nowString)
            case .stopNow:
                if current == .queued { try QueueStore.removeEverywhere(db, task: id, now: nowString) }
                fields = StatusChange.apply(to: &task, status: .stopped, reason: reason,
                                            message: "Stopped by \(identity.userName)", identity: identity, now: nowString)
            }
            try TaskStore.save(db, task)
            return ["updated": 1, "fields": .object(fields)]
        }
    }
}
