import JSONValue

extension ClearMLSession {
    /// The status-changing calls that share one request shape.
    public enum StatusChange: String, Sendable {
        case started = "tasks.started"
        case stopped = "tasks.stopped"
        case completed = "tasks.completed"
        case failed = "tasks.failed"
        case close = "tasks.close"
        case reset = "tasks.reset"
    }

    public func createTask(_ fields: JSONValue) async throws(ClearMLAPIError) -> String {
        try await call("tasks.create", fields, idempotent: false)["id"]?.stringValue ?? ""
    }

    public func task(id: String) async throws(ClearMLAPIError) -> ClearMLTask {
        ClearMLTask(try await call("tasks.get_by_id", ["task": .string(id)])["task"] ?? [:])
    }

    /// `tasks.get_all` with the caller's filter (`id`, `status`, `execution.queue`, `only_fields`...).
    /// Hidden tasks are included unless the filter says otherwise: upstream's agent and glue send
    /// `search_hidden: true` (clearml_agent/glue/k8s.py, commands/worker.py), and a filter by status alone would
    /// otherwise miss tasks carrying the `hidden` system tag.
    public func tasks(_ filter: JSONValue) async throws(ClearMLAPIError) -> [ClearMLTask] {
        var body = filter
        if body["search_hidden"] == nil { body["search_hidden"] = true }
        return (try await call("tasks.get_all", body)["tasks"]?.arrayValue ?? []).map(ClearMLTask.init)
    }

    /// Just the fields asked for, of one task: the cheap way to poll status.
    public func taskFields(id: String, _ fields: [String]) async throws(ClearMLAPIError) -> ClearMLTask? {
        try await tasks(["id": [.string(id)], "only_fields": .array(fields.map(JSONValue.string))]).first
    }

    public func editTask(id: String, _ fields: JSONValue, force: Bool = false) async throws(ClearMLAPIError) -> UpdateResult {
        var body = fields
        body["task"] = .string(id)
        body["force"] = .bool(force)
        return UpdateResult(try await call("tasks.edit", body))
    }

    /// `tasks.update`: name, tags, comment, status_message, status_reason... with no status precondition.
    public func updateTask(id: String, _ fields: JSONValue) async throws(ClearMLAPIError) -> UpdateResult {
        var body = fields
        body["task"] = .string(id)
        return UpdateResult(try await call("tasks.update", body))
    }

    public func enqueue(task: String, queue: String, statusReason: String? = nil, statusMessage: String? = nil, force: Bool = false) async throws(ClearMLAPIError) -> UpdateResult {
        var body: JSONValue = ["task": .string(task), "queue": .string(queue), "force": .bool(force)]
        if let statusReason { body["status_reason"] = .string(statusReason) }
        if let statusMessage { body["status_message"] = .string(statusMessage) }
        return UpdateResult(try await call("tasks.enqueue", body, idempotent: false))
    }

    /// Takes the task off its queue and sets `newStatus`; `updated == 0` means it was not queued (or
    /// in progress) any more. Never retried after a lost answer: a second dequeue would report 0.
    public func dequeue(task: String, newStatus: TaskStatus? = nil, statusReason: String? = nil, statusMessage: String? = nil) async throws(ClearMLAPIError) -> UpdateResult {
        var body: JSONValue = ["task": .string(task)]
        if let newStatus { body["new_status"] = .string(newStatus.rawValue) }
        if let statusReason { body["status_reason"] = .string(statusReason) }
        if let statusMessage { body["status_message"] = .string(statusMessage) }
        return UpdateResult(try await call("tasks.dequeue", body, idempotent: false))
    }

    public func changeStatus(_ change: StatusChange, task: String, force: Bool = false, statusReason: String? = nil, statusMessage: String? = nil) async throws(ClearMLAPIError) -> UpdateResult {
        var body: JSONValue = ["task": .string(task), "force": .bool(force)]
        if let statusReason { body["status_reason"] = .string(statusReason) }
        if let statusMessage { body["status_message"] = .string(statusMessage) }
        return UpdateResult(try await call(change.rawValue, body))
    }

    /// A user abort: the server stops a queued or idle task at once, or marks a running one `stopping`.
    public func stop(task: String, force: Bool = false, statusReason: String? = nil) async throws(ClearMLAPIError) -> UpdateResult {
        var body: JSONValue = ["task": .string(task), "force": .bool(force)]
        if let statusReason { body["status_reason"] = .string(statusReason) }
        return UpdateResult(try await call("tasks.stop", body))
    }

    public func ping(task: String) async throws(ClearMLAPIError) {
        _ = try await call("tasks.ping", ["task": .string(task)])
    }

    /// Sets hyperparameters (`section/name = value`), replacing only those given (`replace_hyperparams: none`).
    public func editHyperParams(task: String, _ parameters: [(section: String, name: String, value: String)]) async throws(ClearMLAPIError) {
        let items = parameters.map { p -> JSONValue in ["section": .string(p.section), "name": .string(p.name), "value": .string(p.value)] }
        _ = try await call("tasks.edit_hyper_params", ["task": .string(task), "hyperparams": .array(items), "replace_hyperparams": "none", "force": true])
    }

    /// `section -> name -> value` of the task's hyperparameters.
    public func hyperParams(task: String) async throws(ClearMLAPIError) -> [String: [String: String]] {
        let data = try await call("tasks.get_hyper_params", ["tasks": [.string(task)]])
        var result: [String: [String: String]] = [:]
        for entry in data["params"]?.arrayValue?.first?["hyperparams"]?.arrayValue ?? [] {
            guard let section = entry["section"]?.stringValue, let name = entry["name"]?.stringValue else { continue }
            result[section, default: [:]][name] = entry["value"]?.stringValue ?? ""
        }
        return result
    }
}
