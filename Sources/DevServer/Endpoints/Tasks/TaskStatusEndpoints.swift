import GRDB
import JSONValue

/// `tasks.started/stopped/completed/failed/close/publish/reset/ping`: status changes through the upstream status
/// machine. Each runs read-validate-write inside one write transaction, so concurrent changes serialize and the
/// compare-and-set of upstream (400/121 on a race) can never be violated here.
enum TaskStatusEndpoints {
    typealias Extra = @Sendable (_ previous: JSONValue, _ task: inout JSONValue, _ fields: inout [String: JSONValue]) -> Void

    static func make(_ state: ServerState) -> [Endpoint] {
        func simple(_ name: String, _ target: TaskStatus, versions: [APIVersion] = [APIVersion(1, 0)], extra: Extra? = nil,
                    response: @escaping @Sendable (inout [String: JSONValue]) -> Void = { _ in }) -> Endpoint
        {
            Endpoint(name: name, versions: versions, authenticated: true) { call in
                var result = try await change(state, call, to: target, extra: extra)
                response(&result)
                return .object(result)
            }
        }
        return [
            simple("tasks.started", .inProgress, extra: { previous, task, fields in
                if previous["started"] == nil || previous["started"]?.isNull == true {
                    StatusChange.set("started", .string(fields["last_update"]?.strictString ?? ""), on: &task, fields: &fields)
                }
            }, response: { $0["started"] = 1 }),
            simple("tasks.stopped", .stopped, extra: setCompleted),
            simple("tasks.completed", .completed, versions: [APIVersion(2, 2), APIVersion(2, 20)], extra: setCompleted,
                   response: { $0["published"] = 0 }),
            simple("tasks.failed", .failed),
            simple("tasks.close", .closed),
            simple("tasks.publish", .published, extra: { _, task, fields in
                StatusChange.set("published", .string(fields["last_update"]?.strictString ?? ""), on: &task, fields: &fields)
            }, response: { $0["committed_versions_results"] = [] }),
            Endpoint(name: "tasks.reset", versions: [APIVersion(1, 0)], authenticated: true) { call in
                try await reset(state, call)
            },
            Endpoint(name: "tasks.ping", versions: [APIVersion(1, 0)], authenticated: true) { call in
                let id = try call.requiredString("task")
                let now = call.nowString
                try await state.store.write { db in
                    var task = try TaskStore.existing(db, id: id, company: state.company)
                    task["last_update"] = .string(now)
                    try TaskStore.save(db, task)
                }
                return .object([:])
            },
        ]
    }

    private static let setCompleted: Extra = { previous, task, fields in
        let now = fields["last_update"]?.strictString ?? ""
        StatusChange.set("completed", .string(now), on: &task, fields: &fields)
    }

    /// Leaving (or re-entering) `in_progress` records the seconds since `started`, upstream's `active_duration`.
    private static let setActiveDuration: Extra = { previous, task, fields in
        guard previous["status"]?.strictString == TaskStatus.inProgress.rawValue else { return }
        guard let started = previous["started"]?.strictString.flatMap(Timestamps.parse),
              let now = fields["last_update"]?.strictString.flatMap(Timestamps.parse)
        else { return }
        StatusChange.set("active_duration", .int(Int64(max(0, now.timeIntervalSince(started)))), on: &task, fields: &fields)
    }

    /// Validates and applies `target` on the call's task; returns the UpdateResponse (`updated`, `fields`).
    static func change(_ state: ServerState, _ call: APICall, to target: TaskStatus, extra: Extra?) async throws
        -> [String: JSONValue]
    {
        let request = try StatusRequest(call)
        return try await state.store.write { db in
            var task = try TaskStore.existing(db, id: request.id, company: state.company)
            let previous = task
            let current = TaskStatus(rawValue: task["status"]?.strictString ?? "") ?? .unknown
            _ = try StatusMachine.validate(from: current, to: target, force: request.force).get()
            var fields = StatusChange.apply(to: &task, status: target, reason: request.reason, message: request.message,
                                            identity: request.identity, now: request.now)
            setActiveDuration(previous, &task, &fields)
            extra?(previous, &task, &fields)
            try TaskStore.save(db, task)
            return ["updated": 1, "fields": .object(fields)]
        }
    }

    /// Back to `created`: leaves every queue, forgets execution results. Published tasks need `force`.
    private static func reset(_ state: ServerState, _ call: APICall) async throws -> JSONValue {
        let request = try StatusRequest(call)
        return try await state.store.write { db in
            var task = try TaskStore.existing(db, id: request.id, company: state.company)
            let current = TaskStatus(rawValue: task["status"]?.strictString ?? "") ?? .unknown
            if current == .published && !request.force {
                throw APIError.invalidTaskStatus("Invalid status change: current_status=published, new_status=created")
            }
            let dequeued = try QueueStore.removeEverywhere(db, task: request.id, now: request.now)
            var fields = StatusChange.apply(to: &task, status: .created, reason: request.reason, message: request.message,
                                            identity: request.identity, now: request.now)
            for key in ["started", "completed", "published", "enqueue_status", "last_worker", "last_worker_report"] {
                if var object = task.objectValue, object.removeValue(forKey: key) != nil {
                    task = .object(object)
                    fields[key] = .null
                }
            }
            StatusChange.set("last_iteration", 0, on: &task, fields: &fields)
            StatusChange.set("last_metrics", .object([:]), on: &task, fields: &fields)
            StatusChange.set("output", .object([:]), on: &task, fields: &fields)
            try db.execute(sql: "DELETE FROM events WHERE task = ?", arguments: [request.id])
            try TaskStore.save(db, task)
            return ["updated": 1, "fields": .object(fields), "dequeued": ["removed": .int(Int64(dequeued.count))],
                    "events": ["deleted": 0]]
        }
    }
}

/// The fields every status-changing call carries.
struct StatusRequest: Sendable {
    let id: String
    let force: Bool
    let reason: String?
    let message: String?
    let now: String
    let identity: Identity

    init(_ call: APICall) throws(APIError) {
        id = try call.requiredString("task")
        force = try call.bool("force")
        reason = try call.string("status_reason")
        message = try call.string("status_message")
        now = call.nowString
        identity = call.identity
    }
}
