import Foundation
import GRDB
import JSONValue

/// `workers.register/unregister/status_report/get_all`. Upstream keeps workers in Redis with a TTL of their
/// `timeout`; here they live in SQLite and expire lazily on read.
enum WorkerEndpoints {
    static let defaultTimeout: Int64 = 600

    static func make(_ state: ServerState) -> [Endpoint] {
        [
            Endpoint(name: "workers.register", versions: [APIVersion(2, 4), APIVersion(2, 22)], authenticated: true) { call in
                let worker = try call.requiredString("worker")
                let timeout = try call.int("timeout") ?? defaultTimeout
                let queues = try call.stringList("queues")
                let tags = try call.stringList("tags")
                let systemTags = try call.stringList("system_tags")
                let identity = call.identity
                let now = call.now
                try await state.store.write { db in
                    try validateQueues(db, queues, company: state.company)
                    var doc = try load(db, worker) ?? fresh(worker, identity: identity, now: now)
                    doc["register_timeout"] = .int(timeout)
                    if let queues { doc["queues"] = JSONValue(queues) }
                    if let tags { doc["tags"] = JSONValue(tags) }
                    if let systemTags { doc["system_tags"] = JSONValue(systemTags) }
                    doc["last_activity_time"] = .string(Timestamps.iso(now))
                    try save(db, doc, now: now)
                }
                return .object([:])
            },
            Endpoint(name: "workers.unregister", versions: [APIVersion(2, 4)], authenticated: true) { call in
                let worker = try call.requiredString("worker")
                try await state.store.write { db in
                    try db.execute(sql: "DELETE FROM workers WHERE id = ?", arguments: [worker])
                }
                return .object([:])
            },
            Endpoint(name: "workers.status_report", versions: [APIVersion(2, 4), APIVersion(2, 22)], authenticated: true) { call in
                try await statusReport(state, call)
            },
            Endpoint(name: "workers.get_all", versions: [APIVersion(2, 4)], authenticated: true) { call in
                let lastSeen = try call.int("last_seen") ?? 3600
                let pattern = try call.string("worker_pattern")
                let now = call.now
                return try await state.store.write { db in
                    try db.execute(
                        sql: "DELETE FROM workers WHERE last_activity + CAST(json_extract(doc, '$.register_timeout') AS REAL) < ?",
                        arguments: [now.timeIntervalSince1970])
                    let cutoff = lastSeen > 0 ? now.timeIntervalSince1970 - Double(lastSeen) : -Double.infinity
                    let docs = try db.documents(
                        sql: "SELECT doc FROM workers WHERE last_activity >= ? ORDER BY id", arguments: [cutoff])
                    var workers: [JSONValue] = []
                    for var doc in docs {
                        if let pattern, !pattern.isEmpty,
                           doc["id"]?.strictString?.range(of: pattern, options: .regularExpression) == nil { continue }
                        let queueIDs = doc["queues"]?.stringList ?? []
                        doc["queues"] = .array(try queueIDs.map { id in
                            let queue = try QueueStore.queue(db, id: id)
                            return ["id": .string(id), "name": queue?["name"] ?? .null,
                                    "num_tasks": .int(Int64(try QueueStore.count(db, queue: id)))]
                        })
                        workers.append(doc)
                    }
                    return ["workers": .array(workers)]
                }
            },
        ]
    }

    private static func statusReport(_ state: ServerState, _ call: APICall) async throws -> JSONValue {
        let worker = try call.requiredString("worker")
        _ = try call.required("timestamp")
        let taskID = try call.string("task")
        let queue = try call.string("queue")
        let queues = try call.stringList("queues")
        let tags = try call.stringList("tags")
        let identity = call.identity
        let now = call.now
        let nowString = call.nowString
        try await state.store.write { db in
            var doc = try load(db, worker) ?? fresh(worker, identity: identity, now: now)
            if let taskID, !taskID.isEmpty {
                var task = try TaskStore.existing(db, id: taskID, company: state.company)
                task["last_worker"] = .string(worker)
                task["last_worker_report"] = .string(nowString)
                task["last_update"] = .string(nowString)
                try TaskStore.save(db, task)
                let started = task["started"]?.strictString.flatMap(Timestamps.parse)
                doc["task"] = [
                    "id": .string(taskID), "name": task["name"] ?? .null,
                    "running_time": .int(Int64(started.map { now.timeIntervalSince($0) * 1000 } ?? 0)),
                    "last_iteration": task["last_iteration"] ?? 0,
                ]
            } else {
                doc["task"] = nil
            }
            if let queue { doc["queue"] = .string(queue) }
            if let queues { doc["queues"] = JSONValue(queues) }
            if let tags { doc["tags"] = JSONValue(tags) }
            doc["last_activity_time"] = .string(nowString)
            doc["last_report_time"] = .string(nowString)
            try save(db, doc, now: now)
        }
        return .object([:])
    }

    private static func validateQueues(_ db: Database, _ queues: [String]?, company: String) throws {
        for queue in queues ?? [] where try QueueStore.queue(db, id: queue) == nil {
            throw APIError.invalidQueueID(queue, company: company)
        }
    }

    private static func load(_ db: Database, _ worker: String) throws -> JSONValue? {
        try db.document(sql: "SELECT doc FROM workers WHERE id = ?", arguments: [worker])
    }

    private static func save(_ db: Database, _ doc: JSONValue, now: Date) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO workers(id, last_activity, doc) VALUES (?, ?, ?)",
            arguments: [doc["id"]?.strictString ?? "", now.timeIntervalSince1970, doc.encodedString()])
    }

    private static func fresh(_ worker: String, identity: Identity, now: Date) -> JSONValue {
        [
            "id": .string(worker), "key": .string("worker_\(identity.company)_\(identity.user)_\(worker)"),
            "user": ["id": .string(identity.user), "name": .string(identity.userName)],
            "company": ["id": .string(identity.company), "name": .string(identity.companyName)],
            "ip": "127.0.0.1", "register_time": .string(Timestamps.iso(now)),
            "register_timeout": .int(defaultTimeout), "last_activity_time": .string(Timestamps.iso(now)),
            "queues": [], "tags": [], "system_tags": [],
        ]
    }
}
