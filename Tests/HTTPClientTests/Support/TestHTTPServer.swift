import Foundation

/// Starts `Tests/Fixtures/http_test_server.py` on a random loopback port and stops it when released.
final class TestHTTPServer: Sendable {
    let port: Int
    let scheme: String
    private let process: Process

    private init(process: Process, port: Int, scheme: String) {
        self.process = process
        self.port = port
        self.scheme = scheme
    }

    // Foundation reaps the child; waiting here would spin a cooperative thread on Linux.
    deinit { kill(process.processIdentifier, SIGKILL) }

    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/http_test_server.py").path

    static func start(tls: TestCertificates? = nil, requireClientCertificate: Bool = false, silentTCP: Bool = false) async throws -> TestHTTPServer {
        var arguments = [script, "--port", "0"]
        if let tls {
            arguments += ["--cert", tls.serverCertificate, "--key", tls.serverKey]
            if requireClientCertificate { arguments += ["--client-ca", tls.caCertificate] }
        }
        if silentTCP { arguments.append("--silent-tcp") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let line = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: readLine(from: output.fileHandleForReading)) }
        }
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5)) else {
            process.terminate()
            throw TestServerError(message: "test server did not start: '\(line)'")
        }
        return TestHTTPServer(process: process, port: port, scheme: tls == nil ? "http" : "https")
    }

    func url(_ path: String, host: String = "127.0.0.1") -> String { "\(scheme)://\(host):\(port)\(path)" }
}

struct TestServerError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

private func readLine(from handle: FileHandle) -> String {
    var bytes: [UInt8] = []
    while true {
        let data = handle.readData(ofLength: 1)
        guard let byte = data.first, byte != 0x0A else { break }
        bytes.append(byte)
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// A loopback port with nothing listening on it.
func closedLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}
