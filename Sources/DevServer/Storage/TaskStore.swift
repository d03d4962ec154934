import GRDB
import JSONValue

/// Task documents, with the columns `tasks.get_all` and the watchdog filter on kept in sync on every save.
enum TaskStore {
    static func task(_ db: Database, id: String) throws -> JSONValue? {
        try db.document(sql: "SELECT doc FROM tasks WHERE id = ?", arguments: [id])
    }

    /// The task, or upstream's 400/101.
    static func existing(_ db: Database, id: String, company: String) throws -> JSONValue {
        guard let task = try task(db, id: id) else { throw APIError.invalidTaskID(id, company: company) }
        return task
    }

    static func save(_ db: Database, _ task: JSONValue) throws {
        guard let id = task["id"]?.strictString else { return }
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO tasks(id, status, project, name, queue, created, last_update, doc)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                id, task["status"]?.strictString ?? "created", task["project"]?.strictString,
                task["name"]?.strictString ?? "", task["execution"]?["queue"]?.strictString,
                task["created"]?.strictString ?? "", task["last_update"]?.strictString ?? "", task.encodedString(),
            ])
    }

    /// Candidates for a query, narrowed in SQL by the indexed columns; callers apply the remaining filters.
    static func candidates(
        _ db: Database, ids: [String]?, statuses: [String]?, projects: [String]?, queues: [String]?
    ) throws -> [JSONValue] {
        var clauses: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        func inClause(_ column: String, _ values: [String]?) {
            guard let values else { return }
            if values.isEmpty {
                clauses.append("0")
                return
            }
            clauses.append("\(column) IN (\(Array(repeating: "?", count: values.count).joined(separator: ",")))")
            arguments.append(contentsOf: values)
        }
        inClause("id", ids)
        inClause("status", statuses)
        inClause("project", projects)
        inClause("queue", queues)
        let whereSQL = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        return try db.documents(
            sql: "SELECT doc FROM tasks\(whereSQL) ORDER BY created, rowid",
            arguments: StatementArguments(arguments))
    }

    /// In-progress tasks whose `last_update` is older than `cutoff` (ISO strings sort chronologically).
    static func stale(_ db: Database, olderThan cutoff: String) throws -> [JSONValue] {
        try db.documents(
            sql: "SELECT doc FROM tasks WHERE status = 'in_progress' AND last_update < ?", arguments: [cutoff])
    }

    /// A fresh task document with every field clients index without checking (`runtime`, `execution`, ...).
    static func newTask(id: String, name: String, type: String, identity: Identity, now: String) -> JSONValue {
        [
            "id": .string(id), "company": .string(identity.company), "user": .string(identity.user),
            "name": .string(name), "type": .string(type), "status": "created", "status_reason": "",
            "status_message": "", "status_changed": .string(now), "comment": "", "report_assets": [],
            "created": .string(now), "last_update": .string(now), "last_change": .string(now),
            "last_changed_by": .string(identity.user), "output": .object([:]),
            "execution": ["test_split": 0, "parameters": .object([:]), "model_desc": .object([:]),
                          "model_labels": .object([:]), "artifacts": []],
            "tags": [], "system_tags": [], "script": .object([:]), "last_iteration": 0,
            "last_metrics": .object([:]), "unique_metrics": [], "metric_stats": .object([:]),
            "hyperparams": .object([:]), "configuration": .object([:]), "runtime": .object([:]),
            "models": ["input": [], "output": []], "container": .object([:]),
        ]
    }
}
