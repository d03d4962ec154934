import Foundation

/// A CA, a server certificate for 127.0.0.1/localhost and a client certificate, made with the real
/// `openssl` once per test run.
public struct TestCertificates: Sendable {
    public let directory: String
    public var caCertificate: String { directory + "/ca.crt" }
    public var serverCertificate: String { directory + "/server.crt" }
    public var serverKey: String { directory + "/server.key" }
    public var clientCertificate: String { directory + "/client.crt" }
    public var clientKey: String { directory + "/client.key" }
    /// Signed by a CA the client is never told about.
    public var strangerCertificate: String { directory + "/stranger.crt" }
    public var strangerKey: String { directory + "/stranger.key" }
    /// Valid only for the name `kube.internal` (no IP): reached by address, it verifies only with a server name.
    public var namedServerCertificate: String { directory + "/named.crt" }
    public var namedServerKey: String { directory + "/named.key" }

    public static let shared: TestCertificates = {
        do { return try generate() } catch { fatalError("cannot generate test certificates: \(error)") }
    }()

    private static func generate() throws -> TestCertificates {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("glue-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(["req", "-x509"] + ec + ["-keyout", "\(dir)/ca.key", "-out", "\(dir)/ca.crt", "-days", "2", "-subj", "/CN=glue-test-ca"])
        try openssl(["req", "-x509"] + ec + ["-keyout", "\(dir)/other-ca.key", "-out", "\(dir)/other-ca.crt", "-days", "2", "-subj", "/CN=other-ca"])
        try issue(dir: dir, name: "server", ca: "ca", subject: "/CN=localhost",
                  extensions: "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n", ec: ec)
        try issue(dir: dir, name: "named", ca: "ca", subject: "/CN=kube.internal",
                  extensions: "subjectAltName=DNS:kube.internal\nextendedKeyUsage=serverAuth\n", ec: ec)
        try issue(dir: dir, name: "client", ca: "ca", subject: "/CN=glue-client",
                  extensions: "extendedKeyUsage=clientAuth\n", ec: ec)
        try issue(dir: dir, name: "stranger", ca: "other-ca", subject: "/CN=stranger",
                  extensions: "extendedKeyUsage=clientAuth\n", ec: ec)
        return TestCertificates(directory: dir)
    }

    private static func issue(dir: String, name: String, ca: String, subject: String, extensions: String, ec: [String]) throws {
        try openssl(["req"] + ec + ["-keyout", "\(dir)/\(name).key", "-out", "\(dir)/\(name).csr", "-subj", subject])
        try extensions.write(toFile: "\(dir)/\(name).ext", atomically: true, encoding: .utf8)
        try openssl(["x509", "-req", "-in", "\(dir)/\(name).csr", "-CA", "\(dir)/\(ca).crt", "-CAkey", "\(dir)/\(ca).key",
                     "-CAcreateserial", "-out", "\(dir)/\(name).crt", "-days", "2", "-extfile", "\(dir)/\(name).ext"])
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError(message: "openssl \(arguments.first ?? "") failed: \(String(decoding: stderr, as: UTF8.self))")
        }
    }
}
