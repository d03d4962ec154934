import JSONValue

extension ClearMLSession {
    /// The queue with exactly this name, hidden ones included (the glue's `k8s_scheduler` is hidden).
    public func queue(named name: String) async throws(ClearMLAPIError) -> ClearMLQueue? {
        let data = try await call("queues.get_all", ["name": .string("^" + Self.regexEscaped(name) + "$"), "search_hidden": true])
        return data["queues"]?.arrayValue?.map(ClearMLQueue.init).first { $0.name == name }
    }

    public func queue(id: String) async throws(ClearMLAPIError) -> ClearMLQueue {
        ClearMLQueue(try await call("queues.get_by_id", ["queue": .string(id)])["queue"] ?? [:])
    }

    /// A queue given by name or id, as `--queue` accepts both (names first, like upstream).
    public func resolveQueue(_ nameOrID: String) async throws(ClearMLAPIError) -> ClearMLQueue? {
        if let byName = try await queue(named: nameOrID) { return byName }
        do {
            return try await queue(id: nameOrID)
        } catch let error where error.isServerError(code: 400, subcode: 701) {
            return nil
        }
    }

    public func createQueue(name: String, tags: [String] = [], systemTags: [String] = []) async throws(ClearMLAPIError) -> String {
        let body: JSONValue = ["name": .string(name), "tags": .array(tags.map(JSONValue.string)), "system_tags": .array(systemTags.map(JSONValue.string))]
        return try await call("queues.create", body, idempotent: false)["id"]?.stringValue ?? ""
    }

    /// The queue named `name`, created when missing. Two replicas starting together both see it missing
    /// and both create it; the one the server refuses (400/801, names are unique) takes the other's.
    /// - Returns: its id, and whether this call created it.
    public func findOrCreateQueue(name: String, systemTags: [String] = []) async throws(ClearMLAPIError) -> (id: String, created: Bool) {
        if let found = try await queue(named: name) { return (found.id, false) }
        do {
            return (try await createQueue(name: name, systemTags: systemTags), true)
        } catch let error where error.isServerError(code: 400, subcode: 801) {
            guard let found = try await queue(named: name) else { throw error }
            return (found.id, false)
        }
    }

    public func defaultQueue() async throws(ClearMLAPIError) -> (id: String, name: String) {
        let data = try await call("queues.get_default")
        return (data["id"]?.stringValue ?? "", data["name"]?.stringValue ?? "")
    }

    /// Pops the head of the queue; nil when it is empty. Never retried after a lost answer.
    public func nextTask(queue: String, getTaskInfo: Bool = false) async throws(ClearMLAPIError) -> QueueEntry? {
        let data = try await call("queues.get_next_task", ["queue": .string(queue), "get_task_info": .bool(getTaskInfo)], idempotent: false)
        guard let task = data.value(at: "entry.task")?.stringValue else { return nil }
        return QueueEntry(task: task, added: data.value(at: "entry.added")?.stringValue,
                          taskUser: data.value(at: "task_info.user")?.stringValue)
    }

    @discardableResult
    public func addTask(queue: String, task: String) async throws(ClearMLAPIError) -> Bool {
        try await call("queues.add_task", ["queue": .string(queue), "task": .string(task)], idempotent: false)["added"]?.intValue == 1
    }

    @discardableResult
    public func removeTask(queue: String, task: String, updateTaskStatus: Bool = false) async throws(ClearMLAPIError) -> Bool {
        let body: JSONValue = ["queue": .string(queue), "task": .string(task), "update_task_status": .bool(updateTaskStatus)]
        return try await call("queues.remove_task", body, idempotent: false)["removed"]?.intValue == 1
    }

    public func moveTaskToFront(queue: String, task: String) async throws(ClearMLAPIError) {
        _ = try await call("queues.move_task_to_front", ["queue": .string(queue), "task": .string(task)])
    }

    /// The head task id without popping it.
    public func peekTask(queue: String) async throws(ClearMLAPIError) -> String? {
        try await call("queues.peek_task", ["queue": .string(queue)])["task"]?.stringValue
    }

    public func numberOfEntries(queue: String) async throws(ClearMLAPIError) -> Int {
        Int(try await call("queues.get_num_entries", ["queue": .string(queue)])["num"]?.intValue ?? 0)
    }

    /// Which of `queues` hold at least one entry, in one call whatever their number: `queues.get_all` by id,
    /// projected to the id and the first entry (`max_task_entries`, API 2.20+). A glue serving many queues asks
    /// this once per idle tick and pops only where work waits, so its idle cost does not grow with the queues.
    /// Ids the server does not know are left out of `present`.
    public func queueOccupancy(_ queues: [String]) async throws(ClearMLAPIError) -> QueueOccupancy {
        var occupancy = QueueOccupancy()
        // The server pages get_all at its max_page_size (500 by default), so larger lists go in chunks under it.
        for start in stride(from: 0, to: queues.count, by: QueueOccupancy.chunk) {
            let ids = queues[start..<min(queues.count, start + QueueOccupancy.chunk)]
            let body: JSONValue = ["id": .array(ids.map(JSONValue.string)), "only_fields": ["id", "entries"], "max_task_entries": 1]
            for queue in try await call("queues.get_all", body)["queues"]?.arrayValue ?? [] {
                guard let id = queue["id"]?.stringValue else { continue }
                occupancy.present.insert(id)
                if queue["entries"]?.arrayValue?.isEmpty == false { occupancy.waiting.insert(id) }
            }
        }
        return occupancy
    }

    /// The server matches `name` as a Python regex; a literal name must not be read as a pattern.
    nonisolated static func regexEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "\\^$.|?*+()[]{}".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
