import Foundation
import Testing
import GlueTestSupport
@testable import HTTPClient

@Suite struct LineSplitterTests {
    @Test(arguments: [
        (["a\nb\n"], ["a", "b"]),
        (["a\r\nb\r\n"], ["a", "b"]),
        (["par", "tial\nne", "xt\n"], ["partial", "next"]),
        (["\n\n"], ["", ""]),
        (["no newline at end"], ["no newline at end"]),
        (["x\r", "\ny"], ["x", "y"]),
    ])
    func splitsChunksIntoLines(chunks: [String], expected: [String]) {
        var splitter = LineSplitter()
        var lines: [String] = []
        for chunk in chunks {
            lines += splitter.push(Data(chunk.utf8)).map { String(decoding: $0, as: UTF8.self) }
        }
        if let last = splitter.finish() { lines.append(String(decoding: last, as: UTF8.self)) }
        #expect(lines == expected)
    }
}

@Suite(.timeLimit(.minutes(2))) struct BodyBufferTests {
    @Test func refusesPastHighWaterAndAsksForResumeBelowLowWater() async throws {
        let buffer = BodyBuffer(highWater: 10, lowWater: 4)
        let six = Data(repeating: 1, count: 6)
        #expect(six.withUnsafeBytes { buffer.offer($0) })
        #expect(six.withUnsafeBytes { buffer.offer($0) })  // 12 buffered: over, but taken whole
        #expect(!six.withUnsafeBytes { buffer.offer($0) })  // refused: the transfer pauses
        #expect(buffer.isPaused)
        let first = try await buffer.next()
        #expect(first.chunk?.count == 6 && first.resume == false)  // 6 left: still above low water
        let second = try await buffer.next()
        #expect(second.chunk?.count == 6 && second.resume == true)
        #expect(!buffer.isPaused)
        buffer.finish(nil)
        let end = try await buffer.next()
        #expect(end.chunk == nil)
    }

    @Test func aWaitingReaderGetsTheChunkOrTheError() async throws {
        let buffer = BodyBuffer()
        let received = Task { try await buffer.next().chunk }
        try await Task.sleep(for: .milliseconds(20))
        #expect(Data("hi".utf8).withUnsafeBytes { buffer.offer($0) })
        #expect(try await received.value == Data("hi".utf8))
        let failed = Task { try await buffer.next().chunk }
        try await Task.sleep(for: .milliseconds(20))
        buffer.finish(.cancelled)
        await #expect(throws: HTTPClientError.cancelled) { try await failed.value }
    }
}
