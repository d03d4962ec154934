import Foundation
import Testing
import GlueTestSupport
@testable import HTTPClient

@Suite(.timeLimit(.minutes(2))) struct HTTPClientRequestTests {
    let client: HTTPClient

    init() throws { client = try HTTPClient(configuration: HTTPClientConfiguration(proxy: .none)) }

    func echo(_ request: HTTPRequest) async throws -> Echo {
        let response = try await client.execute(request)
        #expect(response.status == 200)
        return try JSONDecoder().decode(Echo.self, from: response.body)
    }

    @Test func plainGetSendsHeadersAndReadsBody() async throws {
        let server = try await TestHTTPServer.start()
        let echo = try await echo(HTTPRequest(url: server.url("/echo?x=1"), headers: ["X-ClearML-Worker": "glue:1"]))
        #expect(echo.method == "GET")
        #expect(echo.path == "/echo?x=1")
        #expect(echo.headers["x-clearml-worker"] == "glue:1")
        #expect(echo.headers["user-agent"] == "clearml-glue")
        #expect(echo.headers["authorization"] == nil)
    }

    @Test func responseHeadersAreParsedWithoutLineEndings() async throws {
        let server = try await TestHTTPServer.start()
        let response = try await client.execute(HTTPRequest(url: server.url("/echo")))
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.headers["Content-Length"] == "\(response.body.count)")
        #expect(response.headers.fields.allSatisfy { !$0.value.contains(where: \.isNewline) && !$0.name.isEmpty })
    }

    @Test(arguments: ["POST", "PUT", "PATCH", "DELETE", "GET"])
    func methodsCarryTheirBody(method: String) async throws {
        let server = try await TestHTTPServer.start()
        let body = Data(#"{"queue":"q1","ünïcode":true}"#.utf8)
        let echo = try await echo(HTTPRequest(method: HTTPMethod(rawValue: method), url: server.url("/echo"),
                                              headers: ["Content-Type": "application/json"], body: body))
        #expect(echo.method == method)
        #expect(echo.body == String(decoding: body, as: UTF8.self))
        #expect(echo.headers["content-type"] == "application/json")
        #expect(echo.headers["expect"] == nil)
    }

    @Test func largeBodyIsSentWhole() async throws {
        let server = try await TestHTTPServer.start()
        let body = Data(String(repeating: "0123456789", count: 300_000).utf8)
        let echo = try await echo(HTTPRequest(method: .post, url: server.url("/echo"), body: body))
        #expect(echo.body.count == body.count)
    }

    @Test func headRequestHasNoBody() async throws {
        let server = try await TestHTTPServer.start()
        let response = try await client.execute(HTTPRequest(method: .head, url: server.url("/echo")))
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
    }

    @Test func bearerAndBasicAuthorization() async throws {
        let server = try await TestHTTPServer.start()
        let bearer = try await echo(HTTPRequest(url: server.url("/echo"), authorization: .bearer("tok.en")))
        #expect(bearer.headers["authorization"] == "Bearer tok.en")
        let basic = try await echo(HTTPRequest(url: server.url("/echo"), authorization: .basic(username: "AK", password: "S:K")))
        #expect(basic.headers["authorization"] == "Basic " + Data("AK:S:K".utf8).base64EncodedString())
        #expect("\(HTTPAuthorization.basic(username: "AK", password: "S:K"))".contains("S:K") == false)
        #expect("\(HTTPAuthorization.bearer("tok.en"))".contains("tok.en") == false)
    }

    @Test func nonSuccessStatusIsReturnedAndEnsureSuccessThrowsWithBody() async throws {
        let server = try await TestHTTPServer.start()
        let response = try await client.execute(HTTPRequest(url: server.url("/status/503")))
        #expect(response.status == 503)
        #expect(response.bodyText == "status 503")
        #expect(throws: HTTPClientError.status(code: 503, body: Data("status 503".utf8))) { try response.ensureSuccess() }
        #expect(HTTPClientError.status(code: 503, body: Data()).isTransient)
        #expect(!HTTPClientError.status(code: 404, body: Data()).isTransient)
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        let server = try await TestHTTPServer.start()
        var ports = Set<Int>()
        for _ in 0..<5 { ports.insert(try await echo(HTTPRequest(url: server.url("/echo"))).client_port) }
        // One connection when the process is quiet; the shared pool may retire one under a loaded test run,
        // but without reuse every request would open its own.
        #expect(ports.count <= 2)
    }

    @Test func manyConcurrentRequestsAllComplete() async throws {
        let server = try await TestHTTPServer.start()
        let client = self.client
        let url = server.url("/echo")
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<64 {
                group.addTask {
                    try await client.execute(HTTPRequest(method: .post, url: url, body: Data("\(i)".utf8))).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.count == 64)
        #expect(statuses.allSatisfy { $0 == 200 })
    }

    @Test func refusedConnectionIsTypedAndHidesCredentials() async throws {
        let closed = try ClosedLoopbackPort()
        defer { withExtendedLifetime(closed) {} }
        let port = closed.port
        await #expect {
            try await client.execute(HTTPRequest(url: "http://user:hunter2@127.0.0.1:\(port)/x?token=abc"))
        } throws: { error in
            guard case .connectionRefused(let host, _) = error as? HTTPClientError else { return false }
            return host == "127.0.0.1:\(port)" && !"\(error)".contains("hunter2") && !"\(error)".contains("abc")
        }
    }

    @Test(arguments: ["ftp://127.0.0.1/x", "not a url", "http://"])
    func invalidURLsAreRejectedBeforeSending(url: String) async throws {
        await #expect {
            try await client.execute(HTTPRequest(url: url))
        } throws: { error in
            if case .invalidURL = error as? HTTPClientError { return true }
            return false
        }
    }

    @Test func forwardProxyIsUsedForHTTPAndBypassedByNoProxy() async throws {
        let proxy = try await TestHTTPServer.start()
        let target = try await TestHTTPServer.start()
        let proxied = try HTTPClient(configuration: HTTPClientConfiguration(proxy: ProxyConfiguration(httpProxy: proxy.url(""))))
        let viaProxy = try await proxied.execute(HTTPRequest(url: "http://upstream.example/jobs"))
        #expect(viaProxy.bodyText == "proxied http://upstream.example/jobs")

        let bypassing = try HTTPClient(configuration: HTTPClientConfiguration(
            proxy: ProxyConfiguration(httpProxy: proxy.url(""), noProxy: "localhost,127.0.0.1")))
        let direct = try await bypassing.execute(HTTPRequest(url: target.url("/status/204")))
        #expect(direct.status == 204)
    }

    @Test func proxySettingsComeFromTheEnvironment() {
        let upper = ProxyConfiguration.fromEnvironment(["HTTP_PROXY": "http://p:3128", "https_proxy": "http://s:3128", "NO_PROXY": ".svc"])
        #expect(upper == ProxyConfiguration(httpProxy: "http://p:3128", httpsProxy: "http://s:3128", noProxy: ".svc"))
        #expect(ProxyConfiguration.fromEnvironment(["HTTP_PROXY": "", "http_proxy": "http://l:1"]).httpProxy == "http://l:1")
        #expect(ProxyConfiguration.fromEnvironment([:]) == .none)
    }
}
