import ClearMLAPI
import DevServer
import Foundation
import HTTPClient
import JSONValue
import Testing

/// `ClearMLSession.queueOccupancy`: which queues hold entries, in one call per 200 queues.
@Suite(.timeLimit(.minutes(2))) struct QueueOccupancyCallTests {
    @Test func oneCallSaysWhichQueuesWaitAndWhichAreGone() async throws {
        let server = try await DevServer.start(DevServerConfiguration())
        do {
            let session = try ClearMLSession(configuration: ClearMLSessionConfiguration(
                apiServer: server.baseURL, credentials: .keys(accessKey: server.accessKey, secretKey: server.secretKey),
                http: HTTPClientConfiguration(proxy: .none), worker: "occupancy-test"))
            var queues: [String] = []
            for index in 0..<250 { queues.append(try await session.createQueue(name: "occupancy-\(index)")) }
            let task = try await session.createTask(["name": "waiting task", "type": "training"])
            _ = try await session.enqueue(task: task, queue: queues[249])
            _ = try await session.addTask(queue: queues[3], task: "some-task-id")

            let before = server.callCounts(worker: "occupancy-test")["queues.get_all"] ?? 0
            let occupancy = try await session.queueOccupancy(queues + ["no-such-queue"])
            #expect(occupancy.waiting == [queues[3], queues[249]])
            #expect(occupancy.present == Set(queues))
            // 251 ids: two chunks, under the real server's default page size of 500 (mongo max_page_size).
            #expect((server.callCounts(worker: "occupancy-test")["queues.get_all"] ?? 0) - before == 2)
            #expect(try await session.queueOccupancy([]) == QueueOccupancy())
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
