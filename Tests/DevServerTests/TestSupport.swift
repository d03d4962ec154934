@testable import DevServer
import Foundation
import HTTPClient
import JSONValue
import Testing

/// A server on a random loopback port plus a client speaking the ClearML envelope to it.
struct TestAPI: Sendable {
    let server: DevServer
    let client: HTTPClient

    static func start(_ configure: (inout DevServerConfiguration) -> Void = { _ in }) async throws -> TestAPI {
        var configuration = DevServerConfiguration()
        configure(&configuration)
        let server = try await DevServer.start(configuration)
        return TestAPI(server: server, client: try HTTPClient(configuration: HTTPClientConfiguration(proxy: .none)))
    }

    struct Reply: Sendable {
        var status: Int
        var envelope: JSONValue
        var headers: HTTPHeaders
        var meta: JSONValue { envelope["meta"] ?? .null }
        var data: JSONValue { envelope["data"] ?? .null }
        var subcode: Int64? { meta["result_subcode"]?.intValue }
        var resultCode: Int64? { meta["result_code"]?.intValue }
    }

    var basic: HTTPAuthorization { .basic(username: server.accessKey, password: server.secretKey) }

    /// Calls `name` (optionally versioned path) with a JSON body, Basic auth by default.
    func call(
        _ name: String, _ body: JSONValue = [:], version: String? = "2.31", method: HTTPMethod = .get,
        authorization: HTTPAuthorization?? = nil, headers: HTTPHeaders = ["Content-Type": "application/json"]
    ) async throws -> Reply {
        let path = version.map { "/v\($0)/\(name)" } ?? "/\(name)"
        return try await raw(path, body: Data(body.encodedString().utf8), method: method,
                             authorization: authorization ?? basic, headers: headers)
    }

    func raw(
        _ path: String, body: Data?, method: HTTPMethod = .get, authorization: HTTPAuthorization?,
        headers: HTTPHeaders = ["Content-Type": "application/json"]
    ) async throws -> Reply {
        let response = try await client.execute(HTTPRequest(
            method: method, url: server.baseURL + path, headers: headers, body: body, authorization: authorization))
        let envelope = try JSONValue.decode(Array(response.body))
        return Reply(status: response.status, envelope: envelope, headers: response.headers)
    }

    /// Calls and requires HTTP 200; returns `data`.
    @discardableResult
    func ok(_ name: String, _ body: JSONValue = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        let reply = try await call(name, body)
        #expect(reply.status == 200, "\(name) -> \(reply.meta.encodedString())", sourceLocation: sourceLocation)
        return reply.data
    }

    func createTask(_ name: String = "test-task") async throws -> String {
        let data = try await ok("tasks.create", ["name": .string(name), "type": "training"])
        return try #require(data["id"]?.strictString)
    }

    func createQueue(_ name: String) async throws -> String {
        try #require(try await ok("queues.create", ["name": .string(name)])["id"]?.strictString)
    }

    func status(_ task: String) async throws -> String? {
        try await ok("tasks.get_by_id", ["task": .string(task)])["task"]?["status"]?.strictString
    }
}

func temporaryDirectory() -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("devserver-test-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
