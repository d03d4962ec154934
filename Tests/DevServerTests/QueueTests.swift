@testable import DevServer
import Foundation
import JSONValue
import Testing

@Suite(.timeLimit(.minutes(3))) struct QueueTests {
    @Test func entryOperationsAndErrors() async throws {
        let api = try await TestAPI.start()
        defer { Task { await api.server.stop() } }
        let queue = try await api.createQueue("entries-q")
        let duplicate = try await api.call("queues.create", ["name": "entries-q"])
        #expect(duplicate.status == 400 && duplicate.subcode == 801)
        let short = try await api.call("queues.create", ["name": "ab"])
        #expect(short.status == 400 && short.subcode == 800)
        let bad = try await api.call("queues.get_by_id", ["queue": "entries-q"])
        #expect(bad.status == 400 && bad.subcode == 701)

        for name in ["a", "b", "c"] { try await api.ok("queues.add_task", ["queue": .string(queue), "task": .string(name)]) }
        let again = try await api.call("queues.add_task", ["queue": .string(queue), "task": "a"])
        #expect(again.status == 400 && again.subcode == 706)
        try await api.ok("queues.move_task_to_front", ["queue": .string(queue), "task": "c"])
        #expect(try await api.ok("queues.peek_task", ["queue": .string(queue)])["task"] == "c")
        let entries = try await api.ok("queues.get_by_id", ["queue": .string(queue)])["queue"]?["entries"]
        #expect(entries?.arrayValue?.compactMap { $0["task"]?.strictString } == ["c", "a", "b"])
        try await api.ok("queues.remove_task", ["queue": .string(queue), "task": "a"])
        let gone = try await api.call("queues.remove_task", ["queue": .string(queue), "task": "a"])
        #expect(gone.status == 400 && gone.subcode == 703)
        let head = try await api.call("queues.get_next_task", ["queue": .string(queue), "task": "b"])
        #expect(head.data == [:])
        #expect(try await api.ok("queues.get_next_task", ["queue": .string(queue)])["entry"]?["task"] == "c")
        #expect(try await api.ok("queues.get_num_entries", ["queue": .string(queue)])["num"] == 1)
        let missing = try await api.call("queues.get_next_task", ["queue": "missing"])
        #expect(missing.status == 400 && missing.subcode == 701)
    }

    @Test func hiddenQueuesNeedToBeAskedFor() async throws {
        let api = try await TestAPI.start()
        defer { Task { await api.server.stop() } }
        let hidden = try #require(try await api.ok("queues.create", ["name": "k8s_scheduler", "system_tags": ["k8s-glue"]])["id"])
        let listed = try await api.ok("queues.get_all", ["only_fields": ["name"]])
        #expect(listed["queues"]?.arrayValue?.contains(["name": "k8s_scheduler"]) == false)
        #expect(try await api.ok("queues.get_all", ["name": "k8s_scheduler", "only_fields": ["id"]])["queues"] == [["id": hidden]])
        let searched = try await api.ok("queues.get_all", ["search_hidden": true, "only_fields": ["name"]])
        #expect(searched["queues"]?.arrayValue?.contains(["name": "k8s_scheduler"]) == true)
        // Every queue object carries tag lists (the agent daemon iterates them).
        let full = try await api.ok("queues.get_all", ["id": [hidden]])
        #expect(full["queues"]?.arrayValue?.first?["tags"] == [])
    }

    /// 8 concurrent poppers over 500 entries: every task is handed out exactly once.
    @Test func concurrentPopsNeverHandOutATaskTwice() async throws {
        let api = try await TestAPI.start()
        defer { Task { await api.server.stop() } }
        let queue = try await api.createQueue("race-q")
        let total = 500
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    for index in stride(from: worker, to: total, by: 4) {
                        try await api.ok("queues.add_task", ["queue": .string(queue), "task": .string("t\(index)")])
                    }
                }
            }
            try await group.waitForAll()
        }
        let popped = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var mine: [String] = []
                    while true {
                        let data = try await api.ok("queues.get_next_task", ["queue": .string(queue)])
                        guard let task = data["entry"]?["task"]?.strictString else { return mine }
                        mine.append(task)
                    }
                }
            }
            var all: [String] = []
            for try await batch in group { all += batch }
            return all
        }
        #expect(popped.count == total)
        #expect(Set(popped).count == total)
    }
}
