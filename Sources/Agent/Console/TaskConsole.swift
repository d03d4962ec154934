import ClearMLAPI
import Foundation

/// Where every console line of a run goes: the pod's stdout (for `kubectl logs`), the `--log-file`, and
/// the task's console on the server (`events.add_batch`). Lines are masked before they go anywhere.
/// Shipping is batched by time and size; while the server is unreachable lines stay buffered (bounded)
/// and are re-sent in order, so a short outage loses nothing.
public actor TaskConsole {
    public typealias Sender = @Sendable ([LogEvent]) async throws -> Void

    struct Chunk {
        var text: String
        var timestamp: Int64
        var level: String
        var lines: Int
    }

    private let task: String
    private let worker: String?
    private let masker: SecretMasker
    private let sender: Sender?
    private let echo: Bool
    private var logFile: FileHandle?
    private var pending: [Chunk] = []
    private var pendingBytes = 0
    private var droppedLines = 0
    private var lastTimestamp: Int64 = 0
    private var failures = 0
    public let limits: Limits

    public struct Limits: Sendable {
        /// Lines written within this window go out together.
        public var coalesce: Duration
        /// Upper bound of one event's text (upstream splits at 64 KiB).
        public var maxEventBytes: Int
        /// Buffered text kept while the server is unreachable; the oldest is dropped beyond it.
        public var maxPendingBytes: Int
        public init(coalesce: Duration = .milliseconds(100), maxEventBytes: Int = 64 * 1024, maxPendingBytes: Int = 64 * 1024 * 1024) {
            self.coalesce = coalesce
            self.maxEventBytes = maxEventBytes
            self.maxPendingBytes = maxPendingBytes
        }
    }

    /// - Parameters:
    ///   - sender: nil keeps the console local (`--disable-monitoring`, `--standalone-mode`).
    ///   - echo: also write to our stdout.
    public init(task: String, worker: String?, masker: SecretMasker, sender: Sender?, echo: Bool = true,
                logFile: String? = nil, limits: Limits = Limits()) throws {
        self.task = task
        self.worker = worker
        self.masker = masker
        self.sender = sender
        self.echo = echo
        self.limits = limits
        if let logFile {
            if !FileManager.default.fileExists(atPath: logFile) {
                guard FileManager.default.createFile(atPath: logFile, contents: nil) else {
                    throw AgentError.invalidInput("cannot create the log file '\(logFile)' (--log-file): check the folder exists and is writable")
                }
            }
            guard let handle = FileHandle(forWritingAtPath: logFile) else {
                throw AgentError.invalidInput("cannot write the log file '\(logFile)' (--log-file): check its permissions")
            }
            handle.seekToEndOfFile()
            self.logFile = handle
        }
    }

    /// Writes console lines (without their newline).
    public func write(_ lines: [String], level: String = "DEBUG") {
        guard !lines.isEmpty else { return }
        let text = lines.map { masker.apply($0) + "\n" }.joined()
        let data = Data(text.utf8)
        if echo { FileHandle.standardOutput.write(data) }
        logFile?.write(data)
        guard sender != nil else { return }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        lastTimestamp = max(now, lastTimestamp + 1)
        pending.append(Chunk(text: text, timestamp: lastTimestamp, level: level, lines: lines.count))
        pendingBytes += data.count
        while pendingBytes > limits.maxPendingBytes, pending.count > 1 {
            let dropped = pending.removeFirst()
            pendingBytes -= dropped.text.utf8.count
            droppedLines += dropped.lines
        }
    }

    public func write(_ line: String, level: String = "DEBUG") { write([line], level: level) }

    /// Ships pending lines until cancelled; never throws (failures are retried with backoff).
    public func run() async {
        while !Task.isCancelled {
            if pending.isEmpty {
                try? await Task.sleep(for: .milliseconds(50))
                continue
            }
            try? await Task.sleep(for: limits.coalesce)
            if !(await shipOnce()) {
                failures += 1
                let pause = Duration.milliseconds(min(5000, 250 << min(failures, 5)))
                try? await Task.sleep(for: pause)
            } else {
                failures = 0
            }
        }
    }

    /// Sends everything pending, retrying until `timeout`; true when nothing is left.
    public func flush(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !pending.isEmpty {
            if await shipOnce() { continue }
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return true
    }

    public var pendingLineCount: Int { pending.reduce(0) { $0 + $1.lines } }

    /// One attempt to send what is pending now; lines written meanwhile wait for the next one.
    private func shipOnce() async -> Bool {
        guard let sender, !pending.isEmpty else { return true }
        if droppedLines > 0 {
            let note = "[clearml-glue: \(droppedLines) console lines were dropped while the server was unreachable; see the pod log]\n"
            pending.insert(Chunk(text: note, timestamp: pending[0].timestamp - 1, level: "WARNING", lines: 0), at: 0)
            droppedLines = 0
        }
        let snapshot = pending
        let events = Self.events(snapshot, task: task, worker: worker, maxBytes: limits.maxEventBytes)
        do {
            try await sender(events)
        } catch {
            return false
        }
        pending.removeFirst(min(snapshot.count, pending.count))
        pendingBytes = pending.reduce(0) { $0 + $1.text.utf8.count }
        return true
    }

    /// Consecutive chunks of one level become one event (as upstream sends a batch of lines), split at
    /// `maxBytes`; timestamps strictly increase, so the server keeps the order.
    static func events(_ chunks: [Chunk], task: String, worker: String?, maxBytes: Int) -> [LogEvent] {
        var events: [LogEvent] = []
        var current: (text: String, timestamp: Int64, level: String)?
        for chunk in chunks {
            if var open = current, open.level == chunk.level, open.text.utf8.count + chunk.text.utf8.count <= maxBytes {
                open.text += chunk.text
                current = open
                continue
            }
            if let open = current { events.append(LogEvent(task: task, message: open.text, level: open.level, timestamp: open.timestamp, worker: worker)) }
            current = (chunk.text, chunk.timestamp, chunk.level)
        }
        if let open = current { events.append(LogEvent(task: task, message: open.text, level: open.level, timestamp: open.timestamp, worker: worker)) }
        return events
    }
}
