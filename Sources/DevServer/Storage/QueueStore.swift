import GRDB
import JSONValue

/// Queues and their entries. Entries live in their own table keyed by an integer position, so a pop is an
/// indexed lookup + delete of the smallest position: constant work however long the backlog.
enum QueueStore {
    static func queue(_ db: Database, id: String) throws -> JSONValue? {
        try db.document(sql: "SELECT doc FROM queues WHERE id = ?", arguments: [id])
    }

    static func queue(_ db: Database, name: String) throws -> JSONValue? {
        try db.document(sql: "SELECT doc FROM queues WHERE name = ?", arguments: [name])
    }

    static func all(_ db: Database) throws -> [JSONValue] {
        try db.documents(sql: "SELECT doc FROM queues ORDER BY rowid")
    }

    static func save(_ db: Database, _ queue: JSONValue) throws {
        guard let id = queue["id"]?.strictString, let name = queue["name"]?.strictString else { return }
        try db.execute(
            sql: "INSERT OR REPLACE INTO queues(id, name, doc) VALUES (?, ?, ?)",
            arguments: [id, name, queue.encodedString()])
    }

    /// Creates a queue; names are unique (400/801) and at least 3 characters (400/800), as upstream.
    static func create(
        _ db: Database, name: String, tags: [String], systemTags: [String], metadata: JSONValue?,
        displayName: String?, identity: Identity, now: String
    ) throws -> String {
        guard name.count >= 3 else {
            throw APIError(400, 800, "Data validation error: name must be at least 3 characters long")
        }
        if try queue(db, name: name) != nil { throw APIError.queueNameExists(name) }
        let id = Identifiers.make()
        var doc: JSONValue = [
            "id": .string(id), "name": .string(name), "user": .string(identity.user),
            "company": .string(identity.company), "created": .string(now), "tags": JSONValue(tags),
            "system_tags": JSONValue(systemTags), "metadata": metadata ?? .object([:]), "last_update": .string(now),
        ]
        if let displayName { doc["display_name"] = .string(displayName) }
        try save(db, doc)
        return id
    }

    static func ensureDefaultQueue(_ db: Database, company: String, user: String, now: String) throws {
        guard try defaultQueue(db) == nil, try queue(db, name: "default") == nil else { return }
        let identity = Identity(company: company, companyName: "clearml", user: user, userName: "glue", role: "user")
        _ = try create(db, name: "default", tags: [], systemTags: ["default"], metadata: nil, displayName: nil,
                       identity: identity, now: now)
    }

    /// The queues whose system tags contain `default` (upstream allows exactly one; 707/708 otherwise).
    static func defaultQueues(_ db: Database) throws -> [JSONValue] {
        try db.documents(sql: """
            SELECT q.doc FROM queues q, json_each(q.doc, '$.system_tags') t WHERE t.value = 'default' ORDER BY q.rowid
            """)
    }

    static func defaultQueue(_ db: Database) throws -> JSONValue? { try defaultQueues(db).first }

    // MARK: Entries

    static func entries(_ db: Database, queue: String, limit: Int? = nil) throws -> [JSONValue] {
        let rows = try Row.fetchAll(
            db, sql: "SELECT task, added FROM queue_entries WHERE queue = ? ORDER BY position LIMIT ?",
            arguments: [queue, limit ?? -1])
        return rows.map { ["task": .string($0["task"]), "added": .string($0["added"])] }
    }

    static func count(_ db: Database, queue: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM queue_entries WHERE queue = ?", arguments: [queue]) ?? 0
    }

    static func contains(_ db: Database, queue: String, task: String) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT EXISTS(SELECT 1 FROM queue_entries WHERE queue = ? AND task = ?)",
            arguments: [queue, task]) ?? false
    }

    /// Appends at the tail; an existing entry is upstream's 400/706.
    static func append(_ db: Database, queue: String, task: String, now: String) throws {
        if try contains(db, queue: queue, task: task) { throw APIError.entryAlreadyInQueue(task: task, queue: queue) }
        try db.execute(
            sql: "INSERT INTO queue_entries(position, queue, task, added) VALUES ((SELECT IFNULL(MAX(position), 0) + 1 FROM queue_entries), ?, ?, ?)",
            arguments: [queue, task, now])
        try touch(db, queue: queue, now: now)
    }

    @discardableResult
    static func remove(_ db: Database, queue: String, task: String, now: String) throws -> Bool {
        try db.execute(sql: "DELETE FROM queue_entries WHERE queue = ? AND task = ?", arguments: [queue, task])
        let removed = db.changesCount > 0
        if removed { try touch(db, queue: queue, now: now) }
        return removed
    }

    /// Removes the task from every queue except `keeping`; returns the queues it was removed from.
    @discardableResult
    static func removeEverywhere(_ db: Database, task: String, keeping: String? = nil, now: String) throws -> [String] {
        let queues = try String.fetchAll(
            db, sql: "SELECT queue FROM queue_entries WHERE task = ? AND queue IS NOT ?", arguments: [task, keeping])
        for queue in queues { try remove(db, queue: queue, task: task, now: now) }
        return queues
    }

    /// Pops the head entry (only if it is `onlyTask`, when given). Runs inside the single writer, so no two
    /// callers can ever receive the same entry.
    static func popHead(_ db: Database, queue: String, onlyTask: String? = nil, now: String) throws -> (task: String, added: String)? {
        guard let row = try Row.fetchOne(
            db, sql: "SELECT position, task, added FROM queue_entries WHERE queue = ? ORDER BY position LIMIT 1",
            arguments: [queue])
        else { return nil }
        let task: String = row["task"]
        if let onlyTask, onlyTask != task { return nil }
        try db.execute(sql: "DELETE FROM queue_entries WHERE position = ?", arguments: [row["position"] as Int64])
        try touch(db, queue: queue, now: now)
        return (task, row["added"])
    }

    /// Moves an entry to the head by giving it a position below every other one.
    static func moveToFront(_ db: Database, queue: String, task: String, now: String) throws -> Bool {
        guard try contains(db, queue: queue, task: task) else { return false }
        try db.execute(
            sql: "UPDATE queue_entries SET position = (SELECT MIN(position) - 1 FROM queue_entries) WHERE queue = ? AND task = ?",
            arguments: [queue, task])
        try touch(db, queue: queue, now: now)
        return true
    }

    static func moveToBack(_ db: Database, queue: String, task: String, now: String) throws -> Bool {
        guard try contains(db, queue: queue, task: task) else { return false }
        try db.execute(
            sql: "UPDATE queue_entries SET position = (SELECT MAX(position) + 1 FROM queue_entries) WHERE queue = ? AND task = ?",
            arguments: [queue, task])
        try touch(db, queue: queue, now: now)
        return true
    }

    private static func touch(_ db: Database, queue: String, now: String) throws {
        try db.execute(
            sql: "UPDATE queues SET doc = json_set(doc, '$.last_update', ?) WHERE id = ?", arguments: [now, queue])
    }
}
