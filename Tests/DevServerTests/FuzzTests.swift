@testable import DevServer
import Foundation
import HTTPClient
import JSONValue
import Testing

/// Deterministic random requests (bounded, seeded): every answer must be a well-formed envelope whose
/// result_code equals the HTTP status, never a 500, and the server must still work afterwards.
@Suite(.timeLimit(.minutes(5))) struct FuzzTests {
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let endpoints = [
        "tasks.create", "tasks.get_by_id", "tasks.get_all", "tasks.edit", "tasks.update", "tasks.enqueue",
        "tasks.dequeue", "tasks.started", "tasks.stopped", "tasks.completed", "tasks.failed", "tasks.stop",
        "tasks.reset", "tasks.close", "tasks.ping", "tasks.edit_hyper_params", "tasks.get_hyper_params",
        "queues.get_all", "queues.get_by_id", "queues.create", "queues.add_task", "queues.remove_task",
        "queues.get_next_task", "queues.move_task_to_front", "queues.peek_task", "queues.get_num_entries",
        "workers.register", "workers.unregister", "workers.status_report", "workers.get_all", "events.add_batch",
        "events.get_task_log", "projects.create", "projects.get_all", "auth.login", "no.such_endpoint",
    ]
    static let keys = ["task", "queue", "name", "type", "force", "status", "only_fields", "id", "worker", "timestamp",
                       "new_status", "hyperparams", "runtime", "execution.queue", "order_by", "page", "page_size",
                       "msg", "tags", "system_tags", "queue_name", "project", "expiration_sec"]

    @Test func randomRequestsNeverBreakTheServer() async throws {
        let api = try await TestAPI.start { $0.maxBodyBytes = 64 * 1024 }
        defer { Task { await api.server.stop() } }
        var random = SplitMix(state: 20_261_123)
        var ids = [try await api.createTask("fuzz-seed"), try await api.createQueue("fuzz-q"), "", "nope"]

        for _ in 0..<400 {
            let endpoint = Self.endpoints.randomElement(using: &random) ?? "tasks.get_all"
            var body: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                let key = Self.keys.randomElement(using: &random) ?? "task"
                body[key] = Bool.random(using: &random) ? .string(ids.randomElement(using: &random) ?? "")
                    : randomValue(&random, depth: 0)
            }
            let bytes: Data
            switch Int.random(in: 0..<10, using: &random) {
            case 0: bytes = Data((0..<Int.random(in: 1...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
            case 1: bytes = Data(JSONValue.object(body).encodedString().utf8.dropLast())
            default: bytes = Data(JSONValue.object(body).encodedString().utf8)
            }
            let contentType = Bool.random(using: &random) ? "application/json" : "application/json-lines"
            let reply = try await api.raw("/v2.\(Int.random(in: 1...40, using: &random))/\(endpoint)", body: bytes,
                                          authorization: api.basic, headers: ["Content-Type": contentType])
            #expect(reply.resultCode == Int64(reply.status), "\(endpoint) \(reply.meta.encodedString())")
            #expect(reply.status != 500, "\(endpoint) \(String(decoding: bytes, as: UTF8.self)) -> \(reply.meta.encodedString())")
            if let id = reply.data["id"]?.strictString { ids.append(id) }
        }

        // Sanity pass: the database is intact and the agent path still works.
        let all = try await api.ok("tasks.get_all", ["search_hidden": true])
        #expect(all["tasks"]?.arrayValue?.isEmpty == false)
        let queue = try await api.createQueue("after-fuzz")
        let task = try await api.createTask("after-fuzz")
        try await api.ok("tasks.enqueue", ["task": .string(task), "queue": .string(queue)])
        #expect(try await api.ok("queues.get_next_task", ["queue": .string(queue)])["entry"]?["task"] == .string(task))
        #expect(try await api.ok("tasks.dequeue", ["task": .string(task), "new_status": "in_progress"])["updated"] == 1)
        #expect(try await api.ok("tasks.completed", ["task": .string(task)])["updated"] == 1)
    }

    private func randomValue(_ random: inout SplitMix, depth: Int) -> JSONValue {
        switch Int.random(in: 0..<(depth > 2 ? 5 : 7), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .int(Int64.random(in: -1_000_000...Int64.max, using: &random))
        case 3: return .double(Double.random(in: -1e9...1e9, using: &random))
        case 4: return .string(["", "queued", "in_progress", "x", "^(", "__$not", "-tag", "💥"].randomElement(using: &random) ?? "")
        case 5: return .array((0..<Int.random(in: 0...3, using: &random)).map { _ in randomValue(&random, depth: depth + 1) })
        default:
            var object: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                object[Self.keys.randomElement(using: &random) ?? "x"] = randomValue(&random, depth: depth + 1)
            }
            return .object(object)
        }
    }
}
