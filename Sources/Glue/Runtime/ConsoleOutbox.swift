import ClearMLAPI
import Logging

/// Console lines the glue writes to tasks (launch notes, pending reasons, failures), sent in one
/// `events.add_batch` for many tasks every quarter second instead of one call per line, so a launch does
/// not wait for it. Kept (bounded) across a server outage; flushed on shutdown.
actor ConsoleOutbox {
    private var buffer: [ClearMLAPI.LogEvent] = []
    private let session: ClearMLSession
    private let logger: Logger
    static let limit = 20_000

    init(session: ClearMLSession, logger: Logger) {
        self.session = session
        self.logger = logger
    }

    func add(_ events: [ClearMLAPI.LogEvent]) {
        buffer += events
        if buffer.count > Self.limit {
            logger.warning("console outbox full; dropping the oldest lines", metadata: ["dropped": "\(buffer.count - Self.limit)"])
            buffer.removeFirst(buffer.count - Self.limit)
        }
    }

    /// Sends what is buffered; lines that could not be sent stay for the next flush.
    func flush() async {
        guard !buffer.isEmpty else { return }
        let batch = buffer
        buffer = []
        do {
            _ = try await session.addLogEvents(batch)
        } catch {
            logger.debug("could not send console lines; keeping them", metadata: ["lines": "\(batch.count)", "error": "\(error)"])
            buffer = batch + buffer
        }
    }

    func run(every interval: Duration = .milliseconds(250)) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            await flush()
        }
        // Cancelled: one last flush from a task of its own, whose call is not cancelled.
        await Task { await self.flush() }.value
    }
}
