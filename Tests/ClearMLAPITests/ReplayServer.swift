import ClearMLAPI
import Foundation
import GlueTestSupport
import HTTPClient
import JSONValue

/// `Tests/Fixtures/clearml_replay_server.py`: answers with the real server's recorded responses from
/// `Tests/Fixtures/traces`, and lets a test inject faults and read back what the client sent.
struct ReplayServer: Sendable {
    let fixture: FixtureServer
    var url: String { "http://127.0.0.1:\(fixture.port)" }

    static let traces = FixtureServer.fixtures.appendingPathComponent("traces")

    static func start(traces names: [String], tokenTTL: Int = 3600, acceptToken: String? = nil) async throws -> ReplayServer {
        var arguments = ["--token-ttl", "\(tokenTTL)"]
        for name in names { arguments += ["--trace", traces.appendingPathComponent(name).path] }
        if let acceptToken { arguments += ["--accept-token", acceptToken] }
        return ReplayServer(fixture: try await FixtureServer.startPython("clearml_replay_server.py", arguments))
    }

    func session(retry: RetryPolicy = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50)),
                 credentials: ClearMLSessionConfiguration.Credentials = .keys(accessKey: "AK", secretKey: "SK"),
                 maxBatchBytes: Int = JSONLinesBatch.defaultMaxBytes) throws -> ClearMLSession {
        try ClearMLSession(configuration: ClearMLSessionConfiguration(
            apiServer: url, credentials: credentials,
            http: HTTPClientConfiguration(proxy: .none, timeouts: HTTPTimeouts(connect: .seconds(5), total: .seconds(10))),
            retry: retry, worker: "glue-test", maxBatchBytes: maxBatchBytes))
    }

    func fault(_ endpoint: String, status: Int, times: Int = 1, retryAfter: String? = nil, raw: String? = nil, subcode: Int = 0) async throws {
        var body: JSONValue = ["endpoint": .string(endpoint), "status": .int(Int64(status)), "times": .int(Int64(times)), "subcode": .int(Int64(subcode))]
        if let retryAfter { body["retry_after"] = .string(retryAfter) }
        if let raw { body["raw"] = .string(raw) }
        _ = try await control("/__fault", body: body)
    }

    struct SeenRequest: Decodable {
        let method: String
        let path: String
        let headers: [String: String]
        let body: String
    }

    func requests() async throws -> [SeenRequest] {
        try JSONDecoder().decode([SeenRequest].self, from: try await control("/__requests"))
    }

    func logins() async throws -> Int {
        Int(try JSONValue.decode(try await control("/__stats"))["logins"]?.intValue ?? -1)
    }

    private func control(_ path: String, body: JSONValue? = nil) async throws -> Data {
        let client = try HTTPClient(configuration: HTTPClientConfiguration(proxy: .none))
        return try await client.execute(HTTPRequest(method: body == nil ? .get : .post, url: url + path, body: body?.encoded())).ensureSuccess().body
    }
}
