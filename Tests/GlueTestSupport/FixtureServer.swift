import Foundation

/// A helper process from `Tests/Fixtures` that prints `PORT <n>` once it listens on loopback; killed when
/// released, so a failing test never leaves it behind.
public final class FixtureServer: Sendable {
    public let port: Int
    private let process: Process

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    // Foundation reaps the child; waiting here would spin a cooperative thread on Linux.
    deinit { kill(process.processIdentifier, SIGKILL) }

    public static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Starts `python3 Tests/Fixtures/<script> <arguments>` and waits for its port.
    public static func startPython(_ script: String, _ arguments: [String] = []) async throws -> FixtureServer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", fixtures.appendingPathComponent(script).path] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let line = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: readLine(from: output.fileHandleForReading)) }
        }
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5)) else {
            kill(process.processIdentifier, SIGKILL)
            throw FixtureError(message: "\(script) did not start: '\(line)'")
        }
        return FixtureServer(process: process, port: port)
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
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

/// A loopback port with nothing listening on it, held for as long as this value lives: the socket stays
/// bound (never listening), so connections are refused and no other server of this machine can be given
/// the port meanwhile. (Closing it at once, as a bare port number would need, lets the kernel hand the
/// same port to the next server that binds port 0, and the "closed" port would answer.)
public final class ClosedLoopbackPort: Sendable {
    public let port: Int
    private let descriptor: Int32

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError(message: "socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard bound == 0, named == 0 else {
            close(fd)
            throw FixtureError(message: "cannot reserve a loopback port: errno \(errno)")
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}
