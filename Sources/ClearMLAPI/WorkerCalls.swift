import Foundation
import JSONValue

extension ClearMLSession {
    public func registerWorker(_ worker: String, queues: [String], timeout: Int = 600, tags: [String] = []) async throws(ClearMLAPIError) {
        let body: JSONValue = ["worker": .string(worker), "queues": .array(queues.map(JSONValue.string)),
                               "timeout": .int(Int64(timeout)), "tags": .array(tags.map(JSONValue.string))]
        _ = try await call("workers.register", body)
    }

    public func unregisterWorker(_ worker: String) async throws(ClearMLAPIError) {
        _ = try await call("workers.unregister", ["worker": .string(worker)])
    }

    /// Keeps the worker alive in the UI; with `task`, also marks that task as run by this worker.
    public func reportWorkerStatus(_ worker: String, task: String? = nil, queue: String? = nil, queues: [String] = [],
                                   machineStats: JSONValue? = nil, tags: [String] = [], now: Date = Date()) async throws(ClearMLAPIError) {
        var body: JSONValue = ["worker": .string(worker), "timestamp": .int(Int64(now.timeIntervalSince1970 * 1000)),
                               "queues": .array(queues.map(JSONValue.string)), "tags": .array(tags.map(JSONValue.string))]
        if let task { body["task"] = .string(task) }
        if let queue { body["queue"] = .string(queue) }
        if let machineStats { body["machine_stats"] = machineStats }
        _ = try await call("workers.status_report", body)
    }

    /// Workers seen in the last `lastSeen` seconds.
    public func workers(lastSeen: Int = 600) async throws(ClearMLAPIError) -> [WorkerStatus] {
        (try await call("workers.get_all", ["last_seen": .int(Int64(lastSeen))])["workers"]?.arrayValue ?? []).map(WorkerStatus.init)
    }
}

extension ClearMLSession {
    /// Sends console lines as json-lines batches; returns how many the server stored.
    @discardableResult
    public func addLogEvents(_ events: [LogEvent]) async throws(ClearMLAPIError) -> Int {
        guard !events.isEmpty else { return 0 }
        let results = try await callBatch("events.add_batch", events.map(\.json))
        return results.reduce(0) { $0 + Int($1["added"]?.intValue ?? 0) }
    }

    /// Console events of a task, oldest first (`navigate_earlier: false`), `batchSize` at a time from
    /// `fromTimestamp`.
    public func taskLog(task: String, batchSize: Int = 500, fromTimestamp: Int64? = nil) async throws(ClearMLAPIError) -> (events: [JSONValue], total: Int) {
        var body: JSONValue = ["task": .string(task), "batch_size": .int(Int64(batchSize)), "navigate_earlier": false]
        if let fromTimestamp { body["from_timestamp"] = .int(fromTimestamp) }
        let data = try await call("events.get_task_log", body)
        return (data["events"]?.arrayValue ?? [], Int(data["total"]?.intValue ?? 0))
    }

    /// `server.info`: version, build, api_version.
    public func serverInfo() async throws(ClearMLAPIError) -> JSONValue {
        try await call("server.info")
    }

    public func projectID(named name: String) async throws(ClearMLAPIError) -> String? {
        let data = try await call("projects.get_all", ["name": .string("^" + Self.regexEscaped(name) + "$"), "only_fields": ["id", "name"]])
        return data["projects"]?.arrayValue?.first { $0["name"]?.stringValue == name }?["id"]?.stringValue
    }

    public func createProject(name: String, description: String = "") async throws(ClearMLAPIError) -> String {
        try await call("projects.create", ["name": .string(name), "description": .string(description)], idempotent: false)["id"]?.stringValue ?? ""
    }
}
