@testable import DevServer
import Foundation
import JSONValue
import Testing

@Suite(.timeLimit(.minutes(3))) struct PersistenceTests {
    @Test func restartOnTheSameDataDirectoryKeepsEverything() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await TestAPI.start { $0.dataDirectory = directory }
        #expect(first.server.generatedCredentials)
        let queue = try await first.createQueue("persist-q")
        let task = try await first.createTask("persisted")
        try await first.ok("tasks.enqueue", ["task": .string(task), "queue": .string(queue)])
        let token = try #require(try await first.ok("auth.login")["token"]?.strictString)
        await first.server.stop()

        let second = try await TestAPI.start { $0.dataDirectory = directory }
        defer { Task { await second.server.stop() } }
        #expect(!second.server.generatedCredentials)
        #expect(second.server.accessKey == first.server.accessKey)
        #expect(second.server.secretKey == first.server.secretKey)
        // Tokens survive too: the signing secret is kept in the database.
        #expect(try await second.call("tasks.get_all", authorization: .bearer(token)).status == 200)
        #expect(try await second.status(task) == "queued")
        #expect(try await second.ok("queues.get_next_task", ["queue": .string(queue)])["entry"]?["task"] == .string(task))
        #expect(FileManager.default.fileExists(atPath: directory + "/clearml.sqlite"))
    }

    @Test func watchdogStopsNonResponsiveTasks() async throws {
        let api = try await TestAPI.start {
            // A ping every ~100 ms keeps "alive" well inside 3 s even when a loaded machine stalls a request.
            $0.nonResponsiveTaskTimeout = 3.0
            $0.watchdogInterval = 0.1
        }
        defer { Task { await api.server.stop() } }
        let stale = try await api.createTask("stale-task")
        let alive = try await api.createTask("alive-task")
        try await api.ok("tasks.started", ["task": .string(stale)])
        try await api.ok("tasks.started", ["task": .string(alive)])
        // Ping "alive" until the watchdog has stopped "stale" (which nobody pings), however long that takes.
        let deadline = ContinuousClock.now + .seconds(60)
        var staleStatus = try await api.status(stale)
        while staleStatus != "stopped", ContinuousClock.now < deadline {
            try await api.ok("tasks.ping", ["task": .string(alive)])
            try await Task.sleep(for: .milliseconds(100))
            staleStatus = try await api.status(stale)
        }
        let task = try await api.ok("tasks.get_by_id", ["task": .string(stale)])["task"]
        #expect(task?["status"] == "stopped")
        #expect(task?["status_reason"] == "Forced stop (non-responsive)")
        #expect(try await api.status(alive) == "in_progress")
    }
}
