import Foundation
import GRDB
import JSONValue

/// The SQLite database behind the server (`<data-dir>/clearml.sqlite`, WAL mode).
///
/// Documents (tasks, queues, projects, workers, events) are stored as JSON text, beside indexed columns for what
/// the endpoints filter on. All writes go through GRDB's single serialized writer, which is what makes
/// `queues.get_next_task` an atomic pop and status changes compare-and-set without extra locking.
final class Store: Sendable {
    let pool: DatabasePool

    init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.write(body)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE credentials (access_key TEXT PRIMARY KEY, secret_key TEXT NOT NULL,
                    user TEXT NOT NULL, created TEXT NOT NULL);
                CREATE TABLE projects (id TEXT PRIMARY KEY, name TEXT NOT NULL, doc TEXT NOT NULL);
                CREATE INDEX projects_name ON projects(name);
                CREATE TABLE tasks (id TEXT PRIMARY KEY, status TEXT NOT NULL, project TEXT, name TEXT NOT NULL,
                    queue TEXT, created TEXT NOT NULL, last_update TEXT NOT NULL, doc TEXT NOT NULL);
                CREATE INDEX tasks_status ON tasks(status);
                CREATE INDEX tasks_project ON tasks(project);
                CREATE INDEX tasks_queue ON tasks(queue);
                CREATE INDEX tasks_last_update ON tasks(last_update);
                CREATE TABLE queues (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
                CREATE TABLE queue_entries (position INTEGER PRIMARY KEY, queue TEXT NOT NULL, task TEXT NOT NULL,
                    added TEXT NOT NULL, UNIQUE(queue, task));
                CREATE INDEX queue_entries_order ON queue_entries(queue, position);
                CREATE INDEX queue_entries_task ON queue_entries(task);
                CREATE TABLE workers (id TEXT PRIMARY KEY, last_activity REAL NOT NULL, doc TEXT NOT NULL);
                CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, task TEXT NOT NULL, type TEXT NOT NULL,
                    timestamp INTEGER NOT NULL, doc TEXT NOT NULL);
                CREATE INDEX events_task ON events(task, type, timestamp);
                """)
        }
        return migrator
    }
}

/// Small typed helpers over the raw tables, used inside `Store.read`/`write` closures.
extension Database {
    func setting(_ key: String) throws -> String? {
        try String.fetchOne(self, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key])
    }

    func setSetting(_ key: String, _ value: String) throws {
        try execute(sql: "INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)", arguments: [key, value])
    }

    func document(sql: String, arguments: StatementArguments = StatementArguments()) throws -> JSONValue? {
        guard let text = try String.fetchOne(self, sql: sql, arguments: arguments) else { return nil }
        return try JSONValue.decode(text)
    }

    func documents(sql: String, arguments: StatementArguments = StatementArguments()) throws -> [JSONValue] {
        try String.fetchAll(self, sql: sql, arguments: arguments).map { try JSONValue.decode($0) }
    }
}
