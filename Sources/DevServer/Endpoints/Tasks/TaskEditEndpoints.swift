import GRDB
import JSONValue

/// `tasks.create`, `tasks.get_by_id`, `tasks.edit`, `tasks.update`, `tasks.update_batch`, `tasks.delete`.
enum TaskEditEndpoints {
    static let types: Set<String> = [
        "training", "testing", "inference", "data_processing", "application", "monitor", "controller", "optimizer",
        "service", "qc", "custom",
    ]
    /// Top-level fields `tasks.edit` (and `tasks.create`) write as given; anything else is ignored, as upstream.
    static let editableFields = [
        "name", "tags", "system_tags", "type", "comment", "parent", "project", "execution", "script", "hyperparams",
        "configuration", "models", "container", "runtime",
    ]
    /// Fields `tasks.update` accepts (no status precondition there).
    static let updatableFields = ["name", "tags", "system_tags", "comment", "project", "created", "status_message", "status_reason"]

    /// Upstream validates field types against its schema (400/12); unknown fields are ignored, known ones checked.
    static func validateTypes(_ body: JSONValue) throws(APIError) {
        for (key, value) in body.objectValue ?? [:] where !value.isNull {
            switch key {
            case "name", "comment", "type", "parent", "project", "output_dest", "status_message", "status_reason":
                guard value.strictString != nil else { throw APIError.validation("\(key): expected a string") }
            case "tags", "system_tags":
                guard let items = value.arrayValue, items.allSatisfy({ $0.strictString != nil }) else {
                    throw APIError.validation("\(key): expected a list of strings")
                }
            case "execution", "script", "hyperparams", "configuration", "models", "container", "runtime":
                guard value.objectValue != nil else { throw APIError.validation("\(key): expected an object") }
            default:
                continue
            }
        }
    }

    static func make(_ state: ServerState) -> [Endpoint] {
        [
            Endpoint(name: "tasks.create", versions: [APIVersion(1, 0), APIVersion(2, 13)], authenticated: true) { call in
                try await create(state, call)
            },
            Endpoint(name: "tasks.get_by_id", versions: [APIVersion(1, 0)], authenticated: true) { call in
                let id = try call.requiredString("task")
                let task = try await state.store.read { db in try TaskStore.existing(db, id: id, company: state.company) }
                return ["task": LegacyFields.adapt(task, for: call.version)]
            },
            Endpoint(name: "tasks.edit", versions: [APIVersion(1, 0), APIVersion(2, 13)], authenticated: true) { call in
                try await edit(state, call)
            },
            Endpoint(name: "tasks.update", versions: [APIVersion(1, 0)], authenticated: true) { call in
                let now = call.nowString
                return try await state.store.write { db in .object(try update(db, state, call.body, call: call, now: now)) }
            },
            Endpoint(name: "tasks.update_batch", versions: [APIVersion(1, 0)], authenticated: true) { call in
                guard !call.batch.isEmpty else { throw APIError.batchContainsNoItems }
                let now = call.nowString
                return try await state.store.write { db in
                    var updated: Int64 = 0
                    for item in call.batch {
                        updated += try update(db, state, item, call: call, now: now)["updated"]?.intValue ?? 0
                    }
                    return ["updated": .int(updated)]
                }
            },
            Endpoint(name: "tasks.delete", versions: [APIVersion(1, 0)], authenticated: true) { call in
                let id = try call.requiredString("task")
                let force = try call.bool("force")
                let now = call.nowString
                return try await state.store.write { db in
                    let task = try TaskStore.existing(db, id: id, company: state.company)
                    if task["status"]?.strictString == TaskStatus.inProgress.rawValue && !force {
                        throw APIError.invalidTaskStatus("Task is in progress, use force to delete: id=\(id)")
                    }
                    try QueueStore.removeEverywhere(db, task: id, now: now)
                    try db.execute(sql: "DELETE FROM events WHERE task = ?", arguments: [id])
                    try db.execute(sql: "DELETE FROM tasks WHERE id = ?", arguments: [id])
                    return ["deleted": 1, "updated_children": 0, "updated_models": 0, "events": ["deleted": 0]]
                }
            },
        ]
    }

    private static func create(_ state: ServerState, _ call: APICall) async throws -> JSONValue {
        try validateTypes(call.body)
        guard let name = try call.string("name") else { throw APIError.validation("required field: name") }
        guard let type = try call.string("type") else { throw APIError.validation("required field: type") }
        guard types.contains(type) else { throw APIError.validation("type: value '\(type)' is not a valid task type") }
        guard name.count >= 3 else {
            throw APIError(400, 800, "Data validation error: name must be at least 3 characters long")
        }
        let body = call.body
        let identity = call.identity
        let now = call.nowString
        let id = Identifiers.make()
        var task = TaskStore.newTask(id: id, name: name, type: type, identity: identity, now: now)
        for field in editableFields where field != "name" && field != "type" {
            if let value = body[field], !value.isNull { task[field] = value }
        }
        if let destination = body["output_dest"]?.strictString { task["output"] = ["destination": .string(destination)] }
        if body["script"] == nil || body["script"]?.isNull == true {
            // What upstream stores for a task created without code.
            task["script"] = ["binary": "python", "repository": "", "entry_point": "", "requirements": .object([:])]
        }
        let document = task
        try await state.store.write { db in
            if let project = document["project"]?.strictString, !project.isEmpty,
               try ProjectStore.project(db, id: project) == nil
            {
                throw APIError.invalidProjectID(project)
            }
            try TaskStore.save(db, document)
        }
        return ["id": .string(id)]
    }

    private static func edit(_ state: ServerState, _ call: APICall) async throws -> JSONValue {
        let id = try call.requiredString("task")
        let force = try call.bool("force")
        try validateTypes(call.body)
        if let type = try call.string("type"), !types.contains(type) {
            throw APIError.validation("type: value '\(type)' is not a valid task type")
        }
        let body = call.body
        let identity = call.identity
        let now = call.nowString
        return try await state.store.write { db in
            var task = try TaskStore.existing(db, id: id, company: state.company)
            let status = task["status"]?.strictString ?? ""
            if status != TaskStatus.created.rawValue && !force {
                throw APIError.invalidTaskStatus("Task is not in 'created' status: id=\(id), status=\(status)")
            }
            var fields: [String: JSONValue] = [:]
            for field in editableFields {
                guard let value = body[field], !value.isNull else { continue }
                StatusChange.set(field, value, on: &task, fields: &fields)
            }
            if let destination = body["output_dest"]?.strictString {
                StatusChange.set("output.destination", .string(destination), on: &task, fields: &fields)
            }
            guard !fields.isEmpty else { return ["updated": 0, "fields": .object([:])] }
            for (key, value) in ["last_change": JSONValue.string(now), "last_update": .string(now),
                                 "last_changed_by": .string(identity.user)] {
                StatusChange.set(key, value, on: &task, fields: &fields)
            }
            try TaskStore.save(db, task)
            return ["updated": 1, "fields": .object(fields)]
        }
    }

    private static func update(_ db: Database, _ state: ServerState, _ item: JSONValue, call: APICall, now: String)
        throws -> [String: JSONValue]
    {
        guard let id = item["task"]?.strictString else {
            throw APIError.missingRequiredFields(["task"], endpoint: call.endpoint)
        }
        try validateTypes(item)
        var task = try TaskStore.existing(db, id: id, company: state.company)
        var fields: [String: JSONValue] = [:]
        for field in updatableFields {
            guard let value = item[field], !value.isNull else { continue }
            StatusChange.set(field, value, on: &task, fields: &fields)
        }
        if let error = item["output__error"], !error.isNull {
            StatusChange.set("output.error", error, on: &task, fields: &fields)
        }
        guard !fields.isEmpty else { return ["updated": 0, "fields": .object([:])] }
        StatusChange.set("last_update", .string(now), on: &task, fields: &fields)
        try TaskStore.save(db, task)
        return ["updated": 1, "fields": .object(fields)]
    }
}
