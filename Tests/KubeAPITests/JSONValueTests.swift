import JSONValue
import Foundation
import KubeAPI
import Testing

@Suite(.timeLimit(.minutes(2))) struct JSONValueTests {
    @Test func unknownFieldsSurviveARoundTrip() throws {
        let text = #"{"spec":{"containers":[{"name":"a","futureField":{"x":[1,2.5,true,null]}}]},"weird":"ü"}"#
        let value = try JSONValue.decode(text)
        #expect(try JSONValue.decode(value.encoded()) == value)
        #expect(value[path: "spec", "containers"]?[0]?["futureField"]?["x"]?[1] == .double(2.5))
        #expect(value["weird"]?.stringValue == "ü")
    }

    @Test func parserHandlesEscapesNumbersAndRejectsGarbage() throws {
        let value = try JSONValue.decode(#"{"s":"a\"b\\c\n\u00e9\ud83d\ude00","n":-12,"d":1.5e2,"e":[],"o":{}}"#)
        #expect(value["s"] == "a\"b\\c\n\u{e9}\u{1F600}")
        #expect(value["n"] == -12 && value["d"] == .double(150) && value["e"] == [] && value["o"] == [:])
        #expect(try JSONValue.decode(value.encoded()) == value)
        for bad in ["{", "[1,]", "{\"a\" 1}", "tru", "1 2", "\"open"] {
            #expect(throws: (any Error).self, "\(bad)") { try JSONValue.decode(bad) }
        }
    }

    @Test func mergePatchFollowsRFC7386() throws {
        let base: JSONValue = ["a": 1, "b": ["c": 2, "d": 3], "e": [1, 2]]
        let patched = base.mergePatched(with: ["b": ["c": nil, "x": "y"], "e": [3]])
        #expect(patched == ["a": 1, "b": ["d": 3, "x": "y"], "e": [3]])
    }

    @Test func yamlScalarsKeepTheirTypes() throws {
        let value = try JSONValue.decodeYAML("a: 8\nb: \"8\"\nc: true\nd: [x, 1.5]\ne: null\n")
        #expect(value == ["a": 8, "b": "8", "c": true, "d": ["x", 1.5], "e": nil])
    }

    @Test func podViewReadsTypedState() throws {
        let pod: JSONValue = [
            "metadata": ["name": "p", "namespace": "ns", "labels": ["a": "b"], "deletionTimestamp": "2024-01-02T03:04:05Z"],
            "status": [
                "phase": "Running",
                "conditions": [["type": "Ready", "status": "True"]],
                "containerStatuses": [
                    ["name": "c", "ready": false, "restartCount": 2, "state": ["waiting": ["reason": "CrashLoopBackOff"]]],
                    ["name": "d", "ready": false, "restartCount": 0, "state": ["terminated": ["exitCode": 3, "reason": "Error"]]],
                ],
            ],
        ]
        let view = PodView(pod)
        #expect(view.name == "p" && view.namespace == "ns" && view.labels == ["a": "b"] && view.phase == "Running")
        #expect(view.condition("Ready")?.status == "True")
        #expect(view.deletionTimestamp != nil)
        #expect(view.containerStatuses[0].state == .waiting(reason: "CrashLoopBackOff", message: nil))
        #expect(view.containerStatuses[0].restartCount == 2)
        if case .terminated(let code, let reason, _, _) = view.containerStatuses[1].state {
            #expect(code == 3 && reason == "Error")
        } else {
            Issue.record("expected terminated")
        }
    }

    @Test func statusErrorsAreClassified() {
        func kind(_ code: Int, _ reason: String, _ message: String = "m") -> KubeErrorKind {
            let body = JSONValue.object(["kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": .string(reason), "message": .string(message), "code": .int(Int64(code))])
            return KubeError.from(code: code, body: body.encoded(), retryAfterHeader: nil).kind
        }
        #expect(kind(409, "AlreadyExists") == .alreadyExists)
        #expect(kind(409, "Conflict") == .conflict)
        #expect(kind(404, "NotFound") == .notFound)
        #expect(kind(403, "Forbidden", "pods \"x\" is forbidden: exceeded quota: q, requested: cpu=1") == .quotaExceeded)
        #expect(kind(403, "Forbidden") == .forbidden)
        #expect(kind(422, "Invalid") == .invalid)
        #expect(kind(410, "Expired") == .gone)
        #expect(kind(429, "TooManyRequests") == .retry)
        #expect(kind(503, "ServiceUnavailable") == .retry)
        let throttled = KubeError.from(code: 429, body: Data(), retryAfterHeader: "7")
        #expect(throttled.retryAfter == .seconds(7))
        let notJSON = KubeError.from(code: 502, body: Data("<html>bad gateway</html>".utf8), retryAfterHeader: nil)
        #expect(notJSON.kind == .retry && notJSON.message.contains("bad gateway"))
    }

    @Test func tokenBucketLimitsRateAndPauses() async throws {
        let limiter = RateLimiter(qps: 20, burst: 1)
        let start = ContinuousClock.now
        for _ in 0..<6 { try await limiter.acquire() }
        #expect(start.duration(to: .now) >= .milliseconds(200))
        let paused = RateLimiter(qps: 0, burst: 1)
        await paused.pause(for: .milliseconds(300))
        #expect(await paused.isPaused)
        let before = ContinuousClock.now
        try await paused.acquire()
        #expect(before.duration(to: .now) >= .milliseconds(250))
    }
}
