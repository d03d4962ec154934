import ClearMLAPI
import Foundation
import Glue
import JSONValue
import Testing

/// Issue #15 item 5: an idle glue costs the user's ClearML server at most 4 calls a second in all, whatever
/// the number of queues it serves, and still picks a task up on any of them within an idle tick. Calls are
/// counted on the server's side (DevServer's ledger, by the glue's `X-ClearML-Worker`), with the glue's
/// default intervals. Bounds are generous; the figures belong to bench/dispatch.sh --queues.
@Suite(.serialized, .timeLimit(.minutes(8))) struct IdleCostTests {
    @Test(arguments: [1, 10, 100])
    func idleCallsStayWithinFourPerSecondForAnyNumberOfQueues(queueCount: Int) async throws {
        try await GlueHarness.with { h in
            let names = (1...queueCount).map { "idle-\(queueCount)-\($0)" }
            var configuration = h.configuration(queues: names)
            configuration.reconcileInterval = .seconds(30)
            configuration.taskStatusInterval = .seconds(1)
            let worker = configuration.workerID
            try await h.running(configuration) { _, _ in
                // Start-up over: the scheduler polls (queues resolved, cache synced), the first reconcile and
                // worker report are done.
                _ = try await h.eventually("the scheduler's first idle round", timeout: .seconds(60)) { () -> Bool? in
                    let calls = h.server.callCounts(worker: worker)
                    return (calls["queues.get_all"] ?? 0) + (calls["queues.get_next_task"] ?? 0) > names.count + 2 ? true : nil
                }
                try await Task.sleep(for: .seconds(1))
                let before = h.server.callCounts(worker: worker)
                let started = ContinuousClock.now
                try await Task.sleep(for: .seconds(6))
                let after = h.server.callCounts(worker: worker)
                let seconds = (ContinuousClock.now - started) / .seconds(1)
                let delta = after.compactMapValues { $0 }.reduce(into: [String: Int]()) { $0[$1.key] = $1.value - (before[$1.key] ?? 0) }.filter { $0.value > 0 }
                let rate = Double(delta.values.reduce(0, +)) / seconds
                #expect(rate <= 4, "\(queueCount) queues: \(rate) idle calls/s: \(delta.sorted { $0.key < $1.key })")
                #expect(rate >= 1, "the scheduler should still poll while idle (about 3.3 calls/s, fewer on a loaded machine): \(delta)")
                if queueCount > 1 {
                    #expect(delta["queues.get_next_task", default: 0] == 0, "an idle glue pops no empty queue: \(delta)")
                }

                // A task on the last queue is picked up within an idle tick (0.3 s), measured from the enqueue's
                // answer to its entry leaving the queue; median of 3, at different phases of the tick.
                let last = try #require(try await h.session.resolveQueue(names[names.count - 1])).id
                var pickups: [Double] = []
                for (index, gap) in [0.37, 0.11, 0.23].enumerated() {
                    let task = try await h.session.createTask(["name": .string("pickup \(index)"), "type": "training", "script": ["entry_point": "main.py"]])
                    try await Task.sleep(for: .seconds(gap))
                    _ = try await h.session.enqueue(task: task, queue: last)
                    let enqueued = ContinuousClock.now
                    _ = try await h.eventually("task \(index) popped from \(names[names.count - 1])", timeout: .seconds(10)) { () -> Bool? in
                        try await h.session.numberOfEntries(queue: last) == 0 ? true : nil
                    }
                    pickups.append((ContinuousClock.now - enqueued) / .seconds(1))
                    _ = try await h.eventually("the pod of task \(index)", timeout: .seconds(30)) { () -> Bool? in
                        try await h.pod(for: task) != nil ? true : nil
                    }
                }
                let median = pickups.sorted()[1]
                print("idle cost, \(queueCount) queues: \(String(format: "%.2f", rate)) calls/s \(delta.sorted { $0.key < $1.key }); pickups \(pickups.map { String(format: "%.3f", $0) }) s")
                #expect(median <= 0.5, "pickups on queue \(queueCount) of \(queueCount): \(pickups) s")
            }
        }
    }
}
