import Foundation
import Synchronization

/// The hand-off between the curl thread (producer) and one async consumer. Bounded: once `highWater`
/// bytes wait unread, the producer is told to pause the transfer, and the consumer asks for a resume
/// after draining below `lowWater`, so a slow reader never makes the process buffer a whole log.
final class BodyBuffer: Sendable {
    private struct State {
        var chunks: [Data] = []
        var head = 0
        var buffered = 0
        var paused = false
        var finished = false
        var failure: HTTPClientError?
        var waiter: CheckedContinuation<Data?, any Error>?
    }

    private let state = Mutex(State())
    private let highWater: Int
    private let lowWater: Int

    init(highWater: Int = 1 << 20, lowWater: Int = 256 << 10) {
        self.highWater = highWater
        self.lowWater = lowWater
    }

    /// Producer side. Returns false when the bytes were not taken and the transfer must pause;
    /// libcurl then delivers the same bytes again after the resume.
    func offer(_ bytes: UnsafeRawBufferPointer) -> Bool {
        enum Outcome { case handOver(CheckedContinuation<Data?, any Error>), queued, refused }
        let data = Data(bytes)
        let outcome: Outcome = state.withLock { s in
            if let waiter = s.waiter {
                s.waiter = nil
                return .handOver(waiter)
            }
            if s.buffered >= highWater {
                s.paused = true
                return .refused
            }
            s.chunks.append(data)
            s.buffered += data.count
            return .queued
        }
        switch outcome {
        case .handOver(let waiter):
            waiter.resume(returning: data)
            return true
        case .queued: return true
        case .refused: return false
        }
    }

    /// Producer side: the transfer ended, with an error or cleanly. Only the first call counts.
    func finish(_ failure: HTTPClientError?) {
        let waiter: CheckedContinuation<Data?, any Error>? = state.withLock { s in
            guard !s.finished else { return nil }
            s.finished = true
            s.failure = failure
            defer { s.waiter = nil }
            return s.waiter
        }
        if let failure { waiter?.resume(throwing: failure) } else { waiter?.resume(returning: nil) }
    }

    var isPaused: Bool { state.withLock { $0.paused } }

    /// Consumer side: the next chunk, nil at the end, or the transfer's error; `resume` tells the
    /// caller that it drained a paused transfer and must ask the curl thread to continue it.
    func next() async throws -> (chunk: Data?, resume: Bool) {
        var resumeDue = false
        let chunk = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data?, any Error>) in
            enum Outcome { case chunk(Data, resume: Bool), end, failure(HTTPClientError), wait }
            let outcome: Outcome = state.withLock { s in
                if s.head < s.chunks.count {
                    let chunk = s.chunks[s.head]
                    s.head += 1
                    s.buffered -= chunk.count
                    if s.head > 64 && s.head * 2 > s.chunks.count {
                        s.chunks.removeFirst(s.head)
                        s.head = 0
                    }
                    var resume = false
                    if s.paused && s.buffered <= lowWater {
                        s.paused = false
                        resume = true
                    }
                    return .chunk(chunk, resume: resume)
                }
                if s.finished { return s.failure.map { .failure($0) } ?? .end }
                s.waiter = continuation
                return .wait
            }
            switch outcome {
            case .chunk(let chunk, let resume):
                resumeDue = resume
                continuation.resume(returning: chunk)
            case .end: continuation.resume(returning: nil)
            case .failure(let error): continuation.resume(throwing: error)
            case .wait: break
            }
        }
        return (chunk, resumeDue)
    }
}
