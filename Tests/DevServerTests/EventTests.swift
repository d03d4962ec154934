@testable import DevServer
import Foundation
import HTTPClient
import JSONValue
import Testing

@Suite(.timeLimit(.minutes(3))) struct EventTests {
    @Test func jsonLinesBatchesAndLogPaging() async throws {
        let api = try await TestAPI.start()
        defer { Task { await api.server.stop() } }
        let task = try await api.createTask()
        let lines = (0..<5).map { index in
            JSONValue.object(["type": "log", "task": .string(task), "msg": .string("line \(index)"),
                              "timestamp": .int(Int64(1_000 + index))]).encodedString()
        }
        let scalar = JSONValue.object(["type": "training_stats_scalar", "task": .string(task), "iter": 7,
                                       "metric": "loss", "variant": "train", "value": 0.5]).encodedString()
        var headers: HTTPHeaders = ["Content-Type": "application/json-lines"]
        headers.add(name: "X-ClearML-Worker", value: "vm:7")
        let added = try await api.raw("/events.add_batch", body: Data((lines + [scalar]).joined(separator: "\n").utf8),
                                      authorization: api.basic, headers: headers)
        #expect(added.status == 200 && added.data["added"] == 6 && added.data["errors"] == 0)

        let latest = try await api.ok("events.get_task_log", ["task": .string(task), "batch_size": 2, "order": "asc"])
        #expect(latest["events"]?.arrayValue?.compactMap { $0["msg"]?.strictString } == ["line 3", "line 4"])
        #expect(latest["events"]?.arrayValue?.first?["worker"] == "vm:7")
        #expect(latest["total"] == 5)
        let earlier = try await api.ok("events.get_task_log", ["task": .string(task), "batch_size": 2, "from_timestamp": 1003])
        #expect(earlier["events"]?.arrayValue?.compactMap { $0["msg"]?.strictString } == ["line 2", "line 1"])

        let full = try await api.ok("tasks.get_by_id", ["task": .string(task)])["task"]
        #expect(full?["last_iteration"] == 7)
        #expect(full?["metric_stats"]?["d41d8cd98f00b204e9800998ecf8427e"]?["event_stats_by_type"]?["log"] != nil)
    }

    @Test func rejectedEventsAndEmptyBatches() async throws {
        let api = try await TestAPI.start()
        defer { Task { await api.server.stop() } }
        let unknown = try await api.call("events.add_batch", ["type": "log", "task": "missing", "msg": "x"])
        #expect(unknown.status == 400 && unknown.subcode == 131)
        #expect(unknown.meta["error_data"]?["errors"]?["Invalid task id"] == 1)
        let empty = try await api.raw("/events.add_batch", body: Data(), authorization: api.basic,
                                      headers: ["Content-Type": "application/json-lines"])
        #expect(empty.status == 400 && empty.subcode == 17)
    }

    @Test func oldVersionsSeeTheLegacyDockerCommand() async throws {
        let api = try await TestAPI.start()
        defer { Task { await api.server.stop() } }
        let task = try await api.createTask()
        try await api.ok("tasks.edit", ["task": .string(task), "container": ["image": "python:3.11-slim", "arguments": "--rm"]])
        let old = try await api.call("tasks.get_by_id", ["task": .string(task)], version: "2.5")
        #expect(old.data["task"]?["execution"]?["docker_cmd"] == "python:3.11-slim --rm")
        let new = try await api.call("tasks.get_by_id", ["task": .string(task)], version: "2.23")
        #expect(new.data["task"]?["execution"]?["docker_cmd"] == nil)
    }

    @Test func resetReturnsToCreatedAndLeavesQueues() async throws {
        let api = try await TestAPI.start()
        defer { Task { await api.server.stop() } }
        let queue = try await api.createQueue("reset-q")
        let task = try await api.createTask()
        try await api.ok("tasks.enqueue", ["task": .string(task), "queue": .string(queue)])
        let reset = try await api.ok("tasks.reset", ["task": .string(task)])
        #expect(reset["fields"]?["status"] == "created")
        #expect(try await api.ok("queues.get_num_entries", ["queue": .string(queue)])["num"] == 0)
        try await api.ok("tasks.started", ["task": .string(task)])
        try await api.ok("tasks.completed", ["task": .string(task)])
        try await api.ok("tasks.publish", ["task": .string(task)])
        let refused = try await api.call("tasks.reset", ["task": .string(task)])
        #expect(refused.status == 400 && refused.subcode == 110)
    }
}
