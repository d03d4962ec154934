import GRDB
import JSONValue

/// `queues.get_all/get_by_id/create/get_default/delete/update`: queue objects with their entries.
enum QueueEndpoints {
    static func make(_ state: ServerState) -> [Endpoint] {
        [
            Endpoint(name: "queues.get_all",
                     versions: [APIVersion(2, 4), APIVersion(2, 15), APIVersion(2, 20), APIVersion(2, 21)],
                     authenticated: true) { call in
                let query = try ListQuery(call)
                let explicit = try call.bool("search_hidden") || query.ids != nil || query.name != nil
                let maxEntries = try call.int("max_task_entries").map { Int(clamping: $0) }
                let hiddenTags = state.configuration.hiddenQueueTags
                // Entries are read only for the queues that match: a glue asks for a few ids many times a second.
                return try await state.store.read { db in
                    var matched: [JSONValue] = []
                    for queue in try QueueStore.all(db) {
                        let tags = (queue["tags"]?.stringList ?? []) + (queue["system_tags"]?.stringList ?? [])
                        if !explicit, tags.contains(where: hiddenTags.contains) { continue }
                        if try query.matches(queue) { matched.append(try withEntries(queue, db, limit: maxEntries)) }
                    }
                    return ["queues": .array(query.page(query.sort(matched)).map(query.project))]
                }
            },
            Endpoint(name: "queues.get_by_id", versions: [APIVersion(2, 4), APIVersion(2, 20)], authenticated: true) { call in
                let id = try call.requiredString("queue")
                let maxEntries = try call.int("max_task_entries").map { Int(clamping: $0) }
                return try await state.store.read { db in
                    ["queue": try withEntries(try existing(db, id: id, company: state.company), db, limit: maxEntries)]
                }
            },
            Endpoint(name: "queues.create", versions: [APIVersion(2, 4), APIVersion(2, 13), APIVersion(2, 31)],
                     authenticated: true) { call in
                let name = try call.requiredString("name")
                let tags = try call.stringList("tags") ?? []
                let systemTags = try call.stringList("system_tags") ?? []
                let metadata = try call.object("metadata").map(JSONValue.object)
                let displayName = try call.string("display_name")
                let identity = call.identity
                let now = call.nowString
                return try await state.store.write { db in
                    ["id": .string(try QueueStore.create(db, name: name, tags: tags, systemTags: systemTags,
                                                         metadata: metadata, displayName: displayName,
                                                         identity: identity, now: now))]
                }
            },
            Endpoint(name: "queues.get_default", versions: [APIVersion(2, 4)], authenticated: true) { _ in
                try await state.store.read { db in
                    let defaults = try QueueStore.defaultQueues(db)
                    guard let queue = defaults.first else { throw APIError.noDefaultQueue }
                    guard defaults.count == 1 else {
                        throw APIError(400, 708, "More than one queue is tagged as the default queue for this company")
                    }
                    return ["id": queue["id"] ?? .null, "name": queue["name"] ?? .null]
                }
            },
            Endpoint(name: "queues.update", versions: [APIVersion(2, 4)], authenticated: true) { call in
                let id = try call.requiredString("queue")
                let body = call.body
                let now = call.nowString
                return try await state.store.write { db in
                    var queue = try existing(db, id: id, company: state.company)
                    var fields: [String: JSONValue] = [:]
                    for key in ["name", "tags", "system_tags", "display_name", "metadata"] {
                        guard let value = body[key], !value.isNull else { continue }
                        if key == "name", let name = value.strictString, name != queue["name"]?.strictString,
                           try QueueStore.queue(db, name: name) != nil
                        {
                            throw APIError.queueNameExists(name)
                        }
                        StatusChange.set(key, value, on: &queue, fields: &fields)
                    }
                    queue["last_update"] = .string(now)
                    try QueueStore.save(db, queue)
                    return ["updated": fields.isEmpty ? 0 : 1, "fields": .object(fields)]
                }
            },
            Endpoint(name: "queues.delete", versions: [APIVersion(2, 4)], authenticated: true) { call in
                let id = try call.requiredString("queue")
                let force = try call.bool("force")
                return try await state.store.write { db in
                    _ = try existing(db, id: id, company: state.company)
                    if try QueueStore.count(db, queue: id) > 0 && !force {
                        throw APIError(400, 702, "Queue is not empty: id=\(id)")
                    }
                    try db.execute(sql: "DELETE FROM queue_entries WHERE queue = ?", arguments: [id])
                    try db.execute(sql: "DELETE FROM queues WHERE id = ?", arguments: [id])
                    return ["deleted": 1]
                }
            },
        ]
    }

    static func existing(_ db: Database, id: String, company: String) throws -> JSONValue {
        guard let queue = try QueueStore.queue(db, id: id) else { throw APIError.invalidQueueID(id, company: company) }
        return queue
    }

    /// `max_task_entries` as the real server applies it (`bll/queue/queue_bll.py`: a Mongo `$slice` only when the
    /// value is truthy): absent or 0 gives every entry, N > 0 the first N, N < 0 the last -N.
    static func withEntries(_ queue: JSONValue, _ db: Database, limit: Int?) throws -> JSONValue {
        var queue = queue
        var entries = try QueueStore.entries(db, queue: queue["id"]?.strictString ?? "", limit: limit.flatMap { $0 > 0 ? $0 : nil })
        if let limit, limit < 0 { entries = Array(entries.suffix(limit == Int.min ? Int.max : -limit)) }
        queue["entries"] = .array(entries)
        return queue
    }
}
