import Foundation
import GlueTestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the binary with a pseudo-terminal as stdin, stdout and stderr, so it behaves as in a user's terminal
/// (isatty is true, echo can be turned off); the test waits for prompts and types answers.
final class PseudoTerminalSession {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let process = Process()
    private var master: Int32 = -1
    private var received: [UInt8] = []
    /// UTF-8 offset into `transcript` where the next `expect` starts, so one prompt is not matched twice.
    private var cursor = 0

    /// Everything the program wrote (and the terminal echoed), without the terminal's carriage returns.
    var transcript: String {
        String(decoding: received.filter { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
    }

    init(_ arguments: [String], environment: [String: String]) throws {
        var slave: Int32 = -1
        guard openpty(&master, &slave, nil, nil, nil) == 0 else { throw Failure(description: "openpty failed: errno \(errno)") }
        _ = fcntl(master, F_SETFD, FD_CLOEXEC)
        process.executableURL = URL(fileURLWithPath: try GlueBinary.path())
        process.arguments = arguments
        process.environment = environment.merging(["TERM": "dumb"]) { $1 }
        let terminal = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        process.standardInput = terminal
        process.standardOutput = terminal
        process.standardError = terminal
        do {
            try process.run()
        } catch {
            close(slave)
            close(master)
            throw error
        }
        // Only the child keeps the slave open, so reads see EOF/EIO once it exits.
        close(slave)
    }

    deinit {
        if process.isRunning { process.terminate() }
        if master >= 0 { close(master) }
    }

    /// Reads until `text` appears after the previous match, or fails after `timeout` seconds.
    func expect(_ text: String, timeout: TimeInterval = 15) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if matchAfterCursor(text) { return }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else {
                throw Failure(description: "timed out waiting for \"\(text)\"; transcript so far:\n\(transcript)")
            }
            guard readAvailable(waitingMilliseconds: Int32(min(remaining, 0.2) * 1000)) else {
                if matchAfterCursor(text) { return }
                throw Failure(description: "the program ended before \"\(text)\"; transcript:\n\(transcript)")
            }
        }
    }

    private func matchAfterCursor(_ text: String) -> Bool {
        let current = transcript
        let start = current.utf8.index(current.startIndex, offsetBy: min(cursor, current.utf8.count))
        guard let range = current[start...].range(of: text) else { return false }
        cursor = current.utf8.distance(from: current.startIndex, to: range.upperBound)
        return true
    }

    /// Types `text` (use "\n" for Enter).
    func send(_ text: String) {
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
            if result <= 0 { break }
            written += result
        }
    }

    /// Waits for the exit status, draining output meanwhile.
    func waitForExit(timeout: TimeInterval = 15) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            guard Date() < deadline else {
                process.terminate()
                throw Failure(description: "the program did not exit; transcript:\n\(transcript)")
            }
            _ = readAvailable(waitingMilliseconds: 20)
        }
        while readAvailable(waitingMilliseconds: 20) {}
        return process.terminationStatus
    }

    /// Appends whatever is readable; false once the terminal is closed (the child exited) and nothing is left.
    private func readAvailable(waitingMilliseconds: Int32) -> Bool {
        var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, waitingMilliseconds)
        if ready == 0 { return process.isRunning }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = read(master, &chunk, chunk.count)
        guard count > 0 else { return false }
        received += chunk[0..<count]
        return true
    }
}
