import JSONValue

/// Writes a status change into a task document the way upstream's `ChangeStatusRequest.execute` does, and
/// reports the changed fields (what `data.fields` of an UpdateResponse carries).
enum StatusChange {
    @discardableResult
    static func apply(
        to task: inout JSONValue, status: TaskStatus, reason: String?, message: String?, identity: Identity,
        now: String
    ) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [
            "status": .string(status.rawValue),
            "status_reason": .string(reason ?? ""),
            "status_message": .string(message ?? ""),
            "status_changed": .string(now),
            "last_update": .string(now),
            "last_change": .string(now),
            "last_changed_by": .string(identity.user),
        ]
        if status == .queued, let tags = task["system_tags"]?.stringList, tags.contains("development") {
            fields["system_tags"] = JSONValue(tags.filter { $0 != "development" })
        }
        for (key, value) in fields { task[key] = value }
        return fields
    }

    /// Sets a (possibly dotted) field and records it in `fields` under the dotted name, as upstream reports it.
    static func set(_ key: String, _ value: JSONValue, on task: inout JSONValue, fields: inout [String: JSONValue]) {
        task.set(value, at: key.split(separator: ".").map(String.init))
        fields[key] = value
    }
}
