import Foundation
import Synchronization

/// Where log lines go. Each line is handed to the kernel in one write so concurrent events never interleave.
public final class LogSink: Sendable {
    public static let standardError = LogSink(fileDescriptor: 2)

    private enum Target { case descriptor(Int32), memory }
    private let target: Target
    private let captured = Mutex<[String]>([])

    public init(fileDescriptor: Int32) { target = .descriptor(fileDescriptor) }

    /// Keeps lines in memory; tests read them back with `lines`.
    public static func inMemory() -> LogSink { LogSink() }
    private init() { target = .memory }

    public var lines: [String] { captured.withLock { $0 } }

    func write(_ line: String) {
        switch target {
        case .memory:
            captured.withLock { $0.append(line) }
        case .descriptor(let fd):
            let bytes = Array(line.utf8)
            bytes.withUnsafeBytes { buffer in
                guard let base = buffer.baseAddress else { return }
                var offset = 0
                while offset < buffer.count {
                    let n = Foundation.write(fd, base + offset, buffer.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return }
                    offset += n
                }
            }
        }
    }
}
