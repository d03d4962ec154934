@testable import DevServer
import Foundation
import JSONValue
import Testing

/// `queues.get_all` by id with `only_fields` and `max_task_entries`, as the glue's scheduler asks it once per
/// idle tick (issue #15). Upstream clearml-server: `apiserver/schema/services/queues.conf` (get_all 2.4 takes
/// `id[]` and `only_fields[]`, 2.20 adds `max_task_entries`; a queue's `entries` are `{task, added}` objects)
/// and `apiserver/bll/queue/queue_bll.py` (`max_task_entries` becomes a Mongo `$slice` of `entries` only when
/// it is truthy, so 0 returns every entry and a negative value the last ones).
@Suite(.timeLimit(.minutes(2))) struct QueueOccupancyTests {
    @Test func getAllByIdProjectsToIdAndTheFirstEntries() async throws {
        let api = try await TestAPI.start()
        defer { Task { await api.server.stop() } }
        let busy = try await api.createQueue("occupancy-busy")
        let idle = try await api.createQueue("occupancy-idle")
        _ = try await api.createQueue("occupancy-other")
        for task in ["t1", "t2", "t3"] { try await api.ok("queues.add_task", ["queue": .string(busy), "task": .string(task)]) }

        let answer = try await api.ok("queues.get_all", [
            "id": [.string(busy), .string(idle), "no-such-queue"], "only_fields": ["id", "entries"], "max_task_entries": 1,
        ])
        let queues = try #require(answer["queues"]?.arrayValue)
        #expect(queues.count == 2)  // an unknown id is left out, not an error
        let byID = Dictionary(uniqueKeysWithValues: queues.map { ($0["id"]?.strictString ?? "", $0) })
        #expect(Set(byID.keys) == [busy, idle])
        for queue in queues { #expect(Set(queue.objectValue?.keys.map { $0 } ?? []) == ["id", "entries"]) }
        let head = try #require(byID[busy]?["entries"]?.arrayValue)
        #expect(head.count == 1)
        #expect(head.first?["task"] == "t1")
        #expect(head.first?["added"]?.strictString?.isEmpty == false)
        #expect(byID[idle]?["entries"] == [])

        func tasks(_ maxEntries: Int) async throws -> [String] {
            let answer = try await api.ok("queues.get_all", ["id": [.string(busy)], "only_fields": ["entries"], "max_task_entries": .int(Int64(maxEntries))])
            return answer["queues"]?[0]?["entries"]?.arrayValue?.compactMap { $0["task"]?.strictString } ?? []
        }
        #expect(try await tasks(0) == ["t1", "t2", "t3"])
        #expect(try await tasks(2) == ["t1", "t2"])
        #expect(try await tasks(-1) == ["t3"])
    }
}
