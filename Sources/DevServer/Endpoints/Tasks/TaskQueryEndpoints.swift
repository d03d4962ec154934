import JSONValue

/// `tasks.get_all`, `tasks.get_hyper_params`, `tasks.edit_hyper_params`.
enum TaskQueryEndpoints {
    /// Fields upstream lets clients filter on directly (`Task.get_all_query_options`, list and plain fields).
    static let filterKeys = [
        "user", "type", "status", "project", "parent", "execution.queue", "models.input.model", "last_worker",
    ]
    static let filterPrefixes = ["runtime.", "hyperparams.", "container."]

    static func make(_ state: ServerState) -> [Endpoint] {
        [
            Endpoint(name: "tasks.get_all",
                     versions: [APIVersion(1, 0), APIVersion(2, 14), APIVersion(2, 15), APIVersion(2, 26)],
                     authenticated: true) { call in
                try await getAll(state, call)
            },
            Endpoint(name: "tasks.get_hyper_params", versions: [APIVersion(2, 9)], authenticated: true) { call in
                guard let ids = try call.stringList("tasks") else {
                    throw APIError.missingRequiredFields(["tasks"], endpoint: call.endpoint)
                }
                let tasks = try await state.store.read { db in
                    try ids.map { try TaskStore.existing(db, id: $0, company: state.company) }
                }
                return ["params": .array(tasks.map { task in
                    let sections = task["hyperparams"]?.objectValue ?? [:]
                    let params = sections.keys.sorted().flatMap { section in
                        (sections[section]?.objectValue ?? [:]).keys.sorted().compactMap { sections[section]?[$0] }
                    }
                    return ["task": task["id"] ?? .null, "hyperparams": .array(params)]
                })]
            },
            // The SDK records the detected packages after `Task.init` (running tasks included, so no status check).
            Endpoint(name: "tasks.set_requirements", versions: [APIVersion(2, 1)], authenticated: true) { call in
                let id = try call.requiredString("task")
                guard let requirements = try call.object("requirements") else {
                    throw APIError.missingRequiredFields(["requirements"], endpoint: call.endpoint)
                }
                let now = call.nowString
                return try await state.store.write { db in
                    var task = try TaskStore.existing(db, id: id, company: state.company)
                    var fields: [String: JSONValue] = [:]
                    StatusChange.set("script.requirements", .object(requirements), on: &task, fields: &fields)
                    StatusChange.set("last_update", .string(now), on: &task, fields: &fields)
                    try TaskStore.save(db, task)
                    return ["updated": 1, "fields": .object(fields)]
                }
            },
            Endpoint(name: "tasks.edit_hyper_params", versions: [APIVersion(2, 9)], authenticated: true) { call in
                let id = try call.requiredString("task")
                guard let items = try call.required("hyperparams").arrayValue else {
                    throw APIError.validation("hyperparams: expected a list")
                }
                let replace = try call.string("replace_hyperparams") ?? "none"
                let now = call.nowString
                let user = call.identity.user
                return try await state.store.write { db in
                    var task = try TaskStore.existing(db, id: id, company: state.company)
                    var sections = replace == "all" ? [:] : task["hyperparams"]?.objectValue ?? [:]
                    if replace == "section" {
                        for item in items { if let section = item["section"]?.strictString { sections[section] = .object([:]) } }
                    }
                    for item in items {
                        guard let section = item["section"]?.strictString, let name = item["name"]?.strictString else {
                            throw APIError.validation("hyperparams: every item needs section and name")
                        }
                        var param: JSONValue = ["section": .string(section), "name": .string(name)]
                        for key in ["value", "type", "description"] { if let value = item[key] { param[key] = value } }
                        if param["value"] == nil { param["value"] = "" }
                        var entries = sections[section]?.objectValue ?? [:]
                        entries[name] = param
                        sections[section] = .object(entries)
                    }
                    task["hyperparams"] = .object(sections)
                    task["last_update"] = .string(now)
                    task["last_change"] = .string(now)
                    task["last_changed_by"] = .string(user)
                    try TaskStore.save(db, task)
                    return ["updated": 1]
                }
            },
        ]
    }

    private static func getAll(_ state: ServerState, _ call: APICall) async throws -> JSONValue {
        let query = try ListQuery(call, filterKeys: filterKeys, filterPrefixes: filterPrefixes)
        // Upstream hides `hidden` tasks unless asked, but never when ids are given explicitly.
        let showHidden = try call.bool("search_hidden") || query.ids != nil
        let statuses = try call.stringList("status")
        let projects = try call.stringList("project")
        let queues = try call.stringList("execution.queue")
        let ids = query.ids
        let candidates = try await state.store.read { db in
            try TaskStore.candidates(db, ids: ids, statuses: statuses, projects: projects, queues: queues)
        }
        var matched: [JSONValue] = []
        for task in candidates {
            if !showHidden, task["system_tags"]?.stringList?.contains("hidden") == true { continue }
            if try query.matches(task) { matched.append(task) }
        }
        let version = call.version
        return ["tasks": .array(query.page(query.sort(matched)).map { query.project(LegacyFields.adapt($0, for: version)) })]
    }
}
