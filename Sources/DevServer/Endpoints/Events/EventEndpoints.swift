import Foundation
import GRDB
import JSONValue

/// `events.add_batch/add` (log and metric events), `events.get_task_log`, `events.get_task_events`.
enum EventEndpoints {
    static let lockedStatuses: Set<String> = ["publishing", "published"]

    static func make(_ state: ServerState) -> [Endpoint] {
        [
            Endpoint(name: "events.add_batch", versions: [APIVersion(1, 0), APIVersion(2, 22)], authenticated: true) { call in
                guard !call.batch.isEmpty else { throw APIError.batchContainsNoItems }
                return try await add(state, call, events: call.batch)
            },
            Endpoint(name: "events.add", versions: [APIVersion(1, 0)], authenticated: true) { call in
                try await add(state, call, events: [call.body])
            },
            Endpoint(name: "events.get_task_log", versions: [APIVersion(1, 5), APIVersion(2, 9), APIVersion(2, 30)],
                     authenticated: true) { call in
                try await taskLog(state, call)
            },
            Endpoint(name: "events.get_task_events", versions: [APIVersion(2, 1)], authenticated: true) { call in
                let task = try call.requiredString("task")
                let type = try call.string("event_type")
                let batchSize = max(1, min(try call.int("batch_size") ?? 500, 10_000))
                let descending = (try call.string("order") ?? "asc") == "desc"
                return try await state.store.read { db in
                    _ = try TaskStore.existing(db, id: task, company: state.company)
                    let typeClause = type == nil ? "" : " AND type = ?"
                    var arguments: StatementArguments = [task]
                    if let type { arguments += [type] }
                    let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE task = ?\(typeClause)", arguments: arguments) ?? 0
                    arguments += [batchSize]
                    let events = try db.documents(
                        sql: "SELECT doc FROM events WHERE task = ?\(typeClause) ORDER BY timestamp \(descending ? "DESC" : "ASC"), seq \(descending ? "DESC" : "ASC") LIMIT ?",
                        arguments: arguments)
                    return ["events": .array(events), "returned": .int(Int64(events.count)), "total": .int(Int64(total)),
                            "scroll_id": ""]
                }
            },
        ]
    }

    private static func add(_ state: ServerState, _ call: APICall, events: [JSONValue]) async throws -> JSONValue {
        let worker = call.worker
        let now = call.now
        let nowString = call.nowString
        let result = try await state.store.write { db -> (Int, [String: Int]) in
            var added = 0
            var errors: [String: Int] = [:]
            var touched: [String: JSONValue] = [:]
            for event in events {
                guard let taskID = event["task"]?.strictString, let type = event["type"]?.strictString, !type.isEmpty else {
                    errors["Event must have a 'task' and a 'type'", default: 0] += 1
                    continue
                }
                guard var task = try touched[taskID] ?? TaskStore.task(db, id: taskID) else {
                    errors["Invalid task id", default: 0] += 1
                    continue
                }
                if lockedStatuses.contains(task["status"]?.strictString ?? ""), event["allow_locked"]?.lenientBool != true {
                    errors["Task is locked (published)", default: 0] += 1
                    continue
                }
                let stored = normalize(event, type: type, worker: worker, now: now)
                try db.execute(
                    sql: "INSERT INTO events(task, type, timestamp, doc) VALUES (?, ?, ?, ?)",
                    arguments: [taskID, type, stored["timestamp"]?.intValue ?? 0, stored.encodedString()])
                MetricsUpdate.apply(stored, to: &task)
                task["last_update"] = .string(nowString)
                touched[taskID] = task
                added += 1
            }
            for task in touched.values { try TaskStore.save(db, task) }
            return (added, errors)
        }
        if result.0 == 0 && !result.1.isEmpty { throw APIError.eventsNotAdded(result.1) }
        return ["added": .int(Int64(result.0)), "errors": .int(Int64(result.1.values.reduce(0, +))),
                "errors_info": .object(result.1.mapValues { .int(Int64($0)) })]
    }

    /// The stored shape upstream returns from `get_task_log`: defaults filled, `@timestamp` added.
    private static func normalize(_ event: JSONValue, type: String, worker: String?, now: Date) -> JSONValue {
        var stored = event
        stored["allow_locked"] = nil
        let timestamp = event["timestamp"]?.intValue ?? Int64(now.timeIntervalSince1970 * 1000)
        stored["timestamp"] = .int(timestamp)
        stored["@timestamp"] = .string(Timestamps.iso(Date(timeIntervalSince1970: Double(timestamp) / 1000)))
        if stored["worker"] == nil, let worker { stored["worker"] = .string(worker) }
        if stored["metric"] == nil { stored["metric"] = "" }
        if stored["variant"] == nil { stored["variant"] = "" }
        if stored["model_event"] == nil { stored["model_event"] = false }
        if type == "log" {
            if stored["level"] == nil { stored["level"] = "info" }
            if stored["msg"] == nil { stored["msg"] = "" }
        }
        return stored
    }

    private static func taskLog(_ state: ServerState, _ call: APICall) async throws -> JSONValue {
        let task = try call.requiredString("task")
        let batchSize = max(1, min(try call.int("batch_size") ?? 500, 10_000))
        let earlier = try call.bool("navigate_earlier", default: true)
        let from = try call.int("from_timestamp")
        let order = try call.string("order") ?? (earlier ? "desc" : "asc")
        return try await state.store.read { db in
            _ = try TaskStore.existing(db, id: task, company: state.company)
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE task = ? AND type = 'log'", arguments: [task]) ?? 0
            var sql = "SELECT doc FROM events WHERE task = ? AND type = 'log'"
            var arguments: StatementArguments = [task]
            if let from {
                sql += earlier ? " AND timestamp < ?" : " AND timestamp > ?"
                arguments += [from]
            }
            sql += earlier ? " ORDER BY timestamp DESC, seq DESC LIMIT ?" : " ORDER BY timestamp ASC, seq ASC LIMIT ?"
            arguments += [batchSize]
            var events = try db.documents(sql: sql, arguments: arguments)
            if (order == "asc") == earlier { events.reverse() }
            return ["events": .array(events), "returned": .int(Int64(events.count)), "total": .int(Int64(total))]
        }
    }
}
