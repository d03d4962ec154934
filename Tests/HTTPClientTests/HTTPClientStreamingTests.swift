import Foundation
import Testing
import GlueTestSupport
@testable import HTTPClient

@Suite(.timeLimit(.minutes(2))) struct HTTPClientStreamingTests {
    let client: HTTPClient

    init() throws { client = try HTTPClient(configuration: HTTPClientConfiguration(proxy: .none)) }

    @Test func linesArriveAsTheyAreSentNotAtTheEnd() async throws {
        let server = try await TestHTTPServer.start()
        let id = UUID().uuidString
        let client = self.client
        let lines = try await withDeadline(10) {
            let response = try await client.stream(HTTPRequest(url: server.url("/stream/gated?id=\(id)")))
            #expect(response.status == 200)
            var iterator = response.body.lines.makeAsyncIterator()
            // The server holds the rest of the body until released: only a streaming client sees this line now.
            let first = try await iterator.next()
            _ = try await client.execute(HTTPRequest(url: server.url("/release?id=\(id)")))
            var lines = [first]
            while let line = try await iterator.next() { lines.append(line) }
            return lines
        }
        #expect(lines == ["first", "second", "third"])
    }

    @Test func cancellingTheReaderAbortsTheTransfer() async throws {
        let server = try await TestHTTPServer.start()
        let id = UUID().uuidString
        let client = self.client
        let (started, signal) = AsyncStream<Void>.makeStream()
        let reader = Task {
            let response = try await client.stream(HTTPRequest(url: server.url("/heartbeat?id=\(id)")))
            var count = 0
            for try await _ in response.body.lines {
                count += 1
                if count == 1 { signal.yield() }
            }
            return count
        }
        // Cancel only once the stream is really flowing, however loaded the machine is.
        var iterator = started.makeAsyncIterator()
        _ = await iterator.next()
        reader.cancel()
        let outcome = await reader.result
        #expect(throws: HTTPClientError.cancelled) { try outcome.get() }
        let disconnected = try await withDeadline(10) {
            while try await client.execute(HTTPRequest(url: server.url("/disconnected?id=\(id)"))).bodyText != "yes" {
                try await Task.sleep(for: .milliseconds(50))
            }
            return true
        }
        #expect(disconnected)
    }

    @Test func droppingTheBodyAbortsTheTransfer() async throws {
        let server = try await TestHTTPServer.start()
        let id = UUID().uuidString
        do {
            let response = try await client.stream(HTTPRequest(url: server.url("/heartbeat?id=\(id)")))
            #expect(response.status == 200)
        }
        let client = self.client
        let disconnected = try await withDeadline(5) {
            while try await client.execute(HTTPRequest(url: server.url("/disconnected?id=\(id)"))).bodyText != "yes" {
                try await Task.sleep(for: .milliseconds(50))
            }
            return true
        }
        #expect(disconnected)
    }

    @Test func aSlowReaderGetsEveryByteOfALargeBody() async throws {
        let server = try await TestHTTPServer.start()
        let size = 6 << 20
        let response = try await client.stream(HTTPRequest(url: server.url("/big?bytes=\(size)")))
        var total = 0
        var checksum = 0
        var chunks = 0
        for try await chunk in response.body {
            chunks += 1
            total += chunk.count
            for byte in chunk { checksum &+= Int(byte) }
            if chunks % 16 == 0 { try await Task.sleep(for: .milliseconds(2)) }
        }
        let pattern = Array("abcdefghijklmnopqrstuvwxyz".utf8)
        let block = (0..<65536).map { Int(pattern[$0 % 26]) }
        let expected = (0..<size).reduce(0) { $0 &+ block[$1 % 65536] }
        #expect(total == size)
        #expect(checksum == expected)
    }

    @Test func bufferedExecuteIsBoundedByTheConfiguredLimit() async throws {
        let server = try await TestHTTPServer.start()
        let small = try HTTPClient(configuration: HTTPClientConfiguration(proxy: .none, maxResponseBodyBytes: 100_000))
        await #expect(throws: HTTPClientError.bodyTooLarge(limit: 100_000)) {
            try await small.execute(HTTPRequest(url: server.url("/big?bytes=200000")))
        }
        #expect(try await small.execute(HTTPRequest(url: server.url("/big?bytes=99999"))).body.count == 99_999)
    }
}

@Suite(.timeLimit(.minutes(2))) struct HTTPClientTimeoutTests {
    let client: HTTPClient

    init() throws { client = try HTTPClient(configuration: HTTPClientConfiguration(proxy: .none)) }

    @Test func totalTimeoutEndsASlowResponse() async throws {
        let server = try await TestHTTPServer.start()
        let client = self.client
        // The server answers successfully after 3 s, so only a working total timeout produces this error.
        await #expect(throws: HTTPClientError.timeout(.total, host: "127.0.0.1:\(server.port)", after: .milliseconds(300))) {
            try await withDeadline(5) {
                try await client.execute(HTTPRequest(url: server.url("/slow?ms=3000"), timeouts: HTTPTimeouts(total: .milliseconds(300))))
            }
        }
    }

    @Test func idleTimeoutEndsAStalledStream() async throws {
        let server = try await TestHTTPServer.start()
        let client = self.client
        // Long enough that a loaded machine still delivers the first line before it; the stall is endless.
        let idle = Duration.milliseconds(1500)
        let response = try await client.stream(HTTPRequest(url: server.url("/stall"), timeouts: HTTPTimeouts(idle: idle)))
        var iterator = response.body.lines.makeAsyncIterator()
        #expect(try await iterator.next() == "x")
        await #expect(throws: HTTPClientError.timeout(.idle, host: "127.0.0.1:\(server.port)", after: idle)) {
            _ = try await withDeadline(5) { [iterator] in
                var it = iterator
                return try await it.next()
            }
        }
    }

    @Test func connectTimeoutCoversAHangingTLSHandshake() async throws {
        let server = try await TestHTTPServer.start(silentTCP: true)
        let client = self.client
        await #expect(throws: HTTPClientError.timeout(.connect, host: "127.0.0.1:\(server.port)", after: .milliseconds(300))) {
            try await withDeadline(5) {
                try await client.execute(HTTPRequest(url: "https://127.0.0.1:\(server.port)/", timeouts: HTTPTimeouts(connect: .milliseconds(300))))
            }
        }
    }
}
