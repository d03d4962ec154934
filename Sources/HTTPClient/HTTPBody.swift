import Foundation

/// A response body as it arrives: an `AsyncSequence` of byte chunks, or of lines through `lines`.
/// Dropping the body before its end aborts the transfer; so does cancelling the task reading it.
public final class HTTPBody: AsyncSequence, Sendable {
    public typealias Element = Data

    private let transfer: CurlTransfer

    init(transfer: CurlTransfer) { self.transfer = transfer }

    deinit { transfer.cancel() }

    public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        let body: HTTPBody

        public mutating func next() async throws -> Data? {
            let transfer = body.transfer
            let (chunk, resume) = try await withTaskCancellationHandler {
                try await transfer.body.next()
            } onCancel: {
                transfer.cancel()
            }
            if resume { transfer.resume() }
            return chunk
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }

    /// The body as lines (without their `\n` or `\r\n`), each yielded as soon as it is complete:
    /// what Kubernetes watches and json-lines endpoints need.
    public var lines: HTTPLines { HTTPLines(body: self) }

    /// Reads the rest of the body, failing once it exceeds `limit` bytes.
    public func collect(upTo limit: Int) async throws -> Data {
        var data = Data()
        for try await chunk in self {
            guard data.count + chunk.count <= limit else {
                transfer.cancel()
                throw HTTPClientError.bodyTooLarge(limit: limit)
            }
            data.append(chunk)
        }
        return data
    }
}

public struct HTTPLines: AsyncSequence, Sendable {
    public typealias Element = String
    let body: HTTPBody

    public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        var chunks: HTTPBody.AsyncIterator
        var splitter = LineSplitter()
        var ready: [Data] = []
        var ended = false

        public mutating func next() async throws -> String? {
            while ready.isEmpty {
                if ended { return nil }
                if let chunk = try await chunks.next() {
                    ready = splitter.push(chunk).reversed()
                } else {
                    ended = true
                    if let last = splitter.finish() { ready = [last] }
                }
            }
            return ready.popLast().map { String(decoding: $0, as: UTF8.self) }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: body.makeAsyncIterator()) }
}
