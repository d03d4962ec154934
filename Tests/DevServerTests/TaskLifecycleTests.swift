@testable import DevServer
import Foundation
import JSONValue
import Testing

@Suite(.timeLimit(.minutes(3))) struct TaskLifecycleTests {
    /// The agent's happy path (spec §8): enqueue, pop, dequeue to in_progress, start, report, complete.
    @Test func agentHappyPath() async throws {
        let api = try await TestAPI.start()
        defer { Task { await api.server.stop() } }
        let queue = try await api.createQueue("glue-q")
        let task = try await api.createTask()

        let enqueued = try await api.ok("tasks.enqueue", ["task": .string(task), "queue": .string(queue)])
        #expect(enqueued["queued"] == 1 && enqueued["updated"] == 1)
        #expect(enqueued["fields"]?["status"] == "queued")
        #expect(enqueued["fields"]?["enqueue_status"] == "created")
        #expect(enqueued["fields"]?["execution.queue"] == .string(queue))

        let popped = try await api.ok("queues.get_next_task", ["queue": .string(queue)])
        #expect(popped["entry"]?["task"] == .string(task))
        #expect(try await api.status(task) == "queued")
        #expect(try await api.ok("queues.get_next_task", ["queue": .string(queue)]) == [:])

        let dequeued = try await api.ok("tasks.dequeue", ["task": .string(task), "new_status": "in_progress"])
        #expect(dequeued["updated"] == 1 && dequeued["fields"]?["status"] == "in_progress")
        let started = try await api.ok("tasks.started", ["task": .string(task), "force": true, "status_message": "pulled"])
        #expect(started["started"] == 1 && started["fields"]?["status_message"] == "pulled")
        try await api.ok("workers.status_report", ["worker": "vm:1", "timestamp": 1, "task": .string(task)])
        try await api.ok("tasks.ping", ["task": .string(task)])
        try await api.ok("events.add_batch", ["type": "log", "task": .string(task), "msg": "hello\nworld", "level": "info"])
        let done = try await api.ok("tasks.completed", ["task": .string(task), "status_reason": "done"])
        #expect(done["fields"]?["status"] == "completed")
        #expect(done["fields"]?["completed"]?.strictString != nil)

        let full = try await api.ok("tasks.get_by_id", ["task": .string(task)])["task"]
        #expect(full?["last_worker"] == "vm:1")
        let log = try await api.ok("events.get_task_log", ["task": .string(task)])
        #expect(log["events"]?.arrayValue?.first?["msg"] == "hello\nworld")
        #expect(log["total"] == 1)

        // Completed tasks cannot be dequeued into running again: the agent's --require-queue check.
        let refused = try await api.ok("tasks.dequeue", ["task": .string(task), "new_status": "in_progress"])
        #expect(refused["updated"] == 0)
    }

    @Test func illegalTransitionsAndForce() async throws {
        let api = try await TestAPI.start()
        defer { Task { await api.server.stop() } }
        let queue = try await api.createQueue("q-force")
        let task = try await api.createTask()
        try await api.ok("tasks.enqueue", ["task": .string(task), "queue": .string(queue)])
        let failed = try await api.call("tasks.failed", ["task": .string(task)])
        #expect(failed.status == 400 && failed.subcode == 110)
        try await api.ok("tasks.failed", ["task": .string(task), "force": true])
        #expect(try await api.status(task) == "failed")
        let edit = try await api.call("tasks.edit", ["task": .string(task), "comment": "x"])
        #expect(edit.status == 400 && edit.subcode == 110)
        try await api.ok("tasks.edit", ["task": .string(task), "comment": "x", "force": true])
        let bad = try await api.call("tasks.started", ["task": "nope"])
        #expect(bad.status == 400 && bad.subcode == 101)
        let again = try await api.call("tasks.enqueue", ["task": .string(task), "queue": .string(queue)])
        #expect(again.status == 400 && again.subcode == 706)
        #expect(try await api.status(task) == "failed")
        let noQueue = try await api.call("tasks.enqueue", ["task": .string(task), "queue": "missing"])
        #expect(noQueue.status == 400 && noQueue.subcode == 701)
    }

    @Test func stopOfARunningTaskRequestsStopping() async throws {
        let api = try await TestAPI.start()
        defer { Task { await api.server.stop() } }
        let task = try await api.createTask()
        try await api.ok("tasks.started", ["task": .string(task)])
        try await api.ok("workers.status_report", ["worker": "vm:1", "timestamp": 1, "task": .string(task)])
        let stop = try await api.ok("tasks.stop", ["task": .string(task)])
        #expect(stop["fields"]?["status"] == "in_progress")
        #expect(stop["fields"]?["status_message"] == "stopping")
        try await api.ok("tasks.stopped", ["task": .string(task)])
        #expect(try await api.status(task) == "stopped")

        // Nobody is running it: stop is immediate.
        let idle = try await api.createTask("idle-task")
        try await api.ok("tasks.started", ["task": .string(idle)])
        let now = try await api.ok("tasks.stop", ["task": .string(idle)])
        #expect(now["fields"]?["status"] == "stopped")
        let bad = try await api.call("tasks.stop", ["task": ""])
        #expect(bad.status == 400 && bad.subcode == 101)
    }

    @Test func enqueueByNameAndDefaultQueue() async throws {
        let api = try await TestAPI.start()
        defer { Task { await api.server.stop() } }
        let task = try await api.createTask()
        let byName = try await api.ok("tasks.enqueue", ["task": .string(task), "queue_name": "auto-created"])
        let queueID = try #require(byName["fields"]?["execution.queue"]?.strictString)
        let queues = try await api.ok("queues.get_all", ["name": "^auto-created$", "only_fields": ["id"]])
        #expect(queues["queues"] == [["id": .string(queueID)]])
        // Moving to another queue (the default one) removes it from the first.
        let defaultQueue = try await api.ok("queues.get_default")
        try await api.ok("tasks.enqueue", ["task": .string(task)])
        #expect(try await api.ok("queues.get_num_entries", ["queue": .string(queueID)])["num"] == 0)
        #expect(try await api.ok("queues.get_num_entries", ["queue": defaultQueue["id"] ?? .null])["num"] == 1)
    }

    @Test func getAllFiltersProjectionsAndPaging() async throws {
        let api = try await TestAPI.start()
        defer { Task { await api.server.stop() } }
        let queue = try await api.createQueue("filter-q")
        var ids: [String] = []
        for index in 0..<5 { ids.append(try await api.createTask("task-\(index)")) }
        for id in ids.prefix(2) { try await api.ok("tasks.enqueue", ["task": .string(id), "queue": .string(queue)]) }
        try await api.ok("tasks.edit", ["task": .string(ids[4]), "system_tags": ["hidden"], "runtime": ["pod": "p9"]])

        let queued = try await api.ok("tasks.get_all", ["execution.queue": [.string(queue)], "status": ["queued"],
                                                         "only_fields": ["id", "execution.queue"]])
        #expect(queued["tasks"]?.arrayValue?.count == 2)
        #expect(queued["tasks"]?.arrayValue?.first == ["id": .string(ids[0]), "execution": ["queue": .string(queue)]])
        let visible = try await api.ok("tasks.get_all", ["only_fields": ["id"]])
        #expect(visible["tasks"]?.arrayValue?.count == 4)
        let all = try await api.ok("tasks.get_all", ["only_fields": ["id"], "search_hidden": true])
        #expect(all["tasks"]?.arrayValue?.count == 5)
        let byRuntime = try await api.ok("tasks.get_all", ["runtime.pod": "p9", "search_hidden": true, "only_fields": ["id"]])
        #expect(byRuntime["tasks"] == [["id": .string(ids[4])]])
        let page = try await api.ok("tasks.get_all", ["order_by": ["-name"], "page": 1, "page_size": 2, "only_fields": ["name"]])
        #expect(page["tasks"] == [["name": "task-1"], ["name": "task-0"]])
        let regex = try await api.ok("tasks.get_all", ["name": "^task-[23]$", "only_fields": ["name"], "order_by": ["name"]])
        #expect(regex["tasks"] == [["name": "task-2"], ["name": "task-3"]])
    }
}
