@testable import DevServer
import Foundation
import HTTPClient
import JSONValue
import Testing

@Suite(.timeLimit(.minutes(3))) struct EnvelopeTests {
    @Test func successEnvelopeEchoesTrxAndVersions() async throws {
        let api = try await TestAPI.start()
        defer { Task { await api.server.stop() } }
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        headers.add(name: "X-ClearML-Trx", value: "trx-42")
        let reply = try await api.call("queues.get_all", version: "2.5", headers: headers)
        #expect(reply.status == 200)
        #expect(reply.meta["trx"] == "trx-42")
        #expect(reply.meta["result_code"] == 200 && reply.meta["result_subcode"] == 0 && reply.meta["result_msg"] == "OK")
        #expect(reply.meta["endpoint"]?["name"] == "queues.get_all")
        #expect(reply.meta["endpoint"]?["requested_version"] == "2.5")
        #expect(reply.meta["endpoint"]?["actual_version"] == "2.4")
        #expect(reply.meta["error_stack"] == "" && reply.meta["error_data"] == [:])
        // Unversioned paths use the max version; versions above max still resolve (check_max_version: false).
        #expect(try await api.call("queues.get_all", version: nil).meta["endpoint"]?["requested_version"] == "2.31")
        #expect(try await api.call("queues.get_all", version: "2.99").status == 200)
        // Any method works, POST as GET.
        #expect(try await api.call("queues.get_all", method: .post).status == 200)
    }

    @Test func unknownEndpointIs404WithUpstreamMessage() async throws {
        let api = try await TestAPI.start()
        defer { Task { await api.server.stop() } }
        let reply = try await api.call("workers.get_runtime_properties", ["worker": "vm:0"], version: nil)
        #expect(reply.status == 404 && reply.subcode == 0)
        #expect(reply.meta["result_msg"] == "Unable to find endpoint for name workers.get_runtime_properties and version 2.31")
        #expect(reply.meta["endpoint"]?["actual_version"] == .null)
        // An endpoint asked at a version below its first implementation does not exist either.
        #expect(try await api.call("queues.get_all", version: "2.1").status == 404)
    }

    @Test func badInputGetsUpstreamErrors() async throws {
        let api = try await TestAPI.start { $0.maxBodyBytes = 1024 }
        defer { Task { await api.server.stop() } }
        let malformed = try await api.raw("/tasks.get_all", body: Data("{\"id\": [".utf8), authorization: api.basic)
        #expect(malformed.status == 400)
        let missing = try await api.call("tasks.get_by_id", ["method": "get"])
        #expect(missing.status == 400 && missing.subcode == 11)
        #expect(missing.meta["result_msg"]?.strictString?.contains("task") == true)
        let wrongType = try await api.call("tasks.get_by_id", ["task": ["not", "a", "string"]])
        #expect(wrongType.status == 400 && wrongType.subcode == 12)
        let huge = try await api.call("tasks.get_all", ["pad": .string(String(repeating: "x", count: 4096))])
        #expect(huge.status == 413 && huge.resultCode == 413)
        let array = try await api.raw("/tasks.get_all", body: Data("[1,2]".utf8), authorization: api.basic)
        #expect(array.status == 400)
        let unknownFields = try await api.call("tasks.get_all", ["bogus_field": 1, "method": "get"])
        #expect(unknownFields.status == 200)
    }

    @Test func queryStringMergesIntoBody() async throws {
        let api = try await TestAPI.start()
        defer { Task { await api.server.stop() } }
        let task = try await api.createTask()
        let reply = try await api.raw("/v2.23/tasks.get_all?id[]=\(task)&only_fields[]=status", body: nil, authorization: api.basic)
        #expect(reply.status == 200)
        #expect(reply.data["tasks"] == [["status": "created"]])
    }
}
