import ClearMLAPI
import DevServer
import Foundation
import HTTPClient
import JSONValue
import Testing

/// The client against our embedded server: a stateful server, so whole flows (queue, claim, abort) run.
@Suite(.timeLimit(.minutes(2))) struct ClearMLSessionAgainstDevServerTests {
    func withServer(_ body: (ClearMLSession, DevServer) async throws -> Void) async throws {
        let server = try await DevServer.start(DevServerConfiguration())
        do {
            let session = try ClearMLSession(configuration: ClearMLSessionConfiguration(
                apiServer: server.baseURL, credentials: .keys(accessKey: server.accessKey, secretKey: server.secretKey),
                http: HTTPClientConfiguration(proxy: .none), worker: "glue-test"))
            try await body(session, server)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test func queueClaimAndFinishFlow() async throws {
        try await withServer { session, _ in
            let queue = try await session.createQueue(name: "k8s_scheduler", systemTags: ["k8s-glue"])
            #expect(try await session.queue(named: "k8s_scheduler")?.id == queue)  // hidden, still found by name
            #expect(try await session.resolveQueue("no-such-queue") == nil)
            let task = try await session.createTask(["name": "demo task", "type": "training", "script": ["entry_point": "main.py"]])
            let enqueued = try await session.enqueue(task: task, queue: queue, statusReason: "k8s pending scheduler")
            #expect(enqueued.updated == 1)
            #expect(try await session.numberOfEntries(queue: queue) == 1)
            #expect(try await session.peekTask(queue: queue) == task)

            let claim = try await session.dequeue(task: task, newStatus: .inProgress)
            #expect(claim.updated == 1)
            #expect(try await session.task(id: task).status == .inProgress)
            _ = try await session.changeStatus(.started, task: task, force: true)
            try await session.ping(task: task)
            #expect(try await session.addLogEvents([LogEvent(task: task, message: "hello"), LogEvent(task: task, message: "world")]) == 2)
            let log = try await session.taskLog(task: task)
            #expect(log.events.compactMap { $0["msg"]?.stringValue } == ["hello", "world"])
            _ = try await session.changeStatus(.completed, task: task)
            let done = try #require(try await session.taskFields(id: task, ["status", "status_message"]))
            #expect(done.status == .completed)
        }
    }

    @Test func popIsAtomicAndEmptyQueueGivesNil() async throws {
        try await withServer { session, _ in
            let queue = try await session.createQueue(name: "work")
            var ids: [String] = []
            for i in 0..<20 {
                let task = try await session.createTask(["name": .string("task \(i)"), "type": "training"])
                _ = try await session.enqueue(task: task, queue: queue)
                ids.append(task)
            }
            let popped = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var mine: [String] = []
                        while let entry = try await session.nextTask(queue: queue) { mine.append(entry.task) }
                        return mine
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(popped.sorted() == ids.sorted())
            #expect(try await session.nextTask(queue: queue) == nil)
        }
    }

    /// Two glue replicas starting together both find the pending queue missing; queue names are unique
    /// on the server (400/801), so the loser must take the winner's queue instead of exiting.
    @Test func replicasCreatingTheSameQueueTogetherAllGetOneQueue() async throws {
        try await withServer { session, _ in
            let answers = try await withThrowingTaskGroup(of: (id: String, created: Bool).self) { group in
                for _ in 0..<8 { group.addTask { try await session.findOrCreateQueue(name: "k8s_scheduler", systemTags: ["k8s-glue"]) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(answers.map(\.id)).count == 1, "ids: \(answers.map(\.id))")
            #expect(answers.filter(\.created).count == 1)
            let listed = try await session.call("queues.get_all", ["name": "^k8s_scheduler$", "search_hidden": true])
            #expect(listed["queues"]?.arrayValue?.count == 1)
        }
    }

    @Test func statusMachineErrorsArriveTyped() async throws {
        try await withServer { session, _ in
            let task = try await session.createTask(["name": "not queued", "type": "training"])
            let refused = try await session.dequeue(task: task, newStatus: .inProgress)
            #expect(refused.updated == 0)
            await #expect {
                _ = try await session.changeStatus(.stopped, task: task)
            } throws: { error in
                (error as? ClearMLAPIError)?.isServerError(code: 400, subcode: 110) == true
            }
            await #expect {
                _ = try await session.task(id: "0000")
            } throws: { error in
                (error as? ClearMLAPIError)?.isServerError(code: 400, subcode: 101) == true
            }
        }
    }

    @Test func workersShowUpWithTheirQueues() async throws {
        try await withServer { session, _ in
            let queue = try await session.createQueue(name: "cpu")
            try await session.registerWorker("k8s-glue", queues: [queue])
            try await session.reportWorkerStatus("k8s-glue", queues: [queue])
            let workers = try await session.workers(lastSeen: 0)
            let glue = try #require(workers.first { $0.id == "k8s-glue" })
            #expect(glue.queueNames == ["cpu"])
            try await session.unregisterWorker("k8s-glue")
            #expect(try await session.workers(lastSeen: 0).contains { $0.id == "k8s-glue" } == false)
        }
    }

    @Test func hyperParametersRoundTrip() async throws {
        try await withServer { session, _ in
            let task = try await session.createTask(["name": "props", "type": "training"])
            try await session.editHyperParams(task: task, [("properties", "k8s-queue", "gpu"), ("properties", "k8s-pod-number", "3")])
            let params = try await session.hyperParams(task: task)
            #expect(params["properties"] == ["k8s-queue": "gpu", "k8s-pod-number": "3"])
        }
    }
}
