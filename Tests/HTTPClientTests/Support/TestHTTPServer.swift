import GlueTestSupport

/// `Tests/Fixtures/http_test_server.py` on a random loopback port, plain, TLS or mTLS.
struct TestHTTPServer: Sendable {
    let fixture: FixtureServer
    let scheme: String
    var port: Int { fixture.port }

    static func start(tls: TestCertificates? = nil, named: Bool = false, requireClientCertificate: Bool = false, silentTCP: Bool = false) async throws -> TestHTTPServer {
        var arguments = ["--port", "0"]
        if let tls {
            arguments += named ? ["--cert", tls.namedServerCertificate, "--key", tls.namedServerKey]
                               : ["--cert", tls.serverCertificate, "--key", tls.serverKey]
            if requireClientCertificate { arguments += ["--client-ca", tls.caCertificate] }
        }
        if silentTCP { arguments.append("--silent-tcp") }
        let fixture = try await FixtureServer.startPython("http_test_server.py", arguments)
        return TestHTTPServer(fixture: fixture, scheme: tls == nil ? "http" : "https")
    }

    func url(_ path: String, host: String = "127.0.0.1") -> String { "\(scheme)://\(host):\(port)\(path)" }
}

struct Echo: Decodable {
    let method: String
    let path: String
    let headers: [String: String]
    let body: String
    let client_port: Int
}
