import ClearMLAPI
import Foundation
import GlueTestSupport
import JSONValue
import Testing

@Suite(.timeLimit(.minutes(2))) struct ClearMLSessionTests {
    @Test func logsInWithBasicThenSendsTheJWTAsBearerWithClientHeaders() async throws {
        let server = try await ReplayServer.start(traces: ["05-agent-execute-require-queue.jsonl"])
        let session = try server.session()
        let task = try await session.task(id: "any")
        // The recorded answer of trace 05: the task as the real server returned it.
        #expect(task.id == "51724d383759440d8b21dcbe2b49ef8e")
        #expect(task.status == .queued)
        _ = try await session.call("tasks.ping", ["task": "x"], version: "2.5")
        let seen = try await server.requests()
        #expect(seen.map(\.path) == ["/auth.login", "/tasks.get_by_id", "/v2.5/tasks.ping"])
        #expect(seen[0].headers["authorization"] == "Basic " + Data("AK:SK".utf8).base64EncodedString())
        #expect(seen[1].headers["authorization"]?.hasPrefix("Bearer ey") == true)
        #expect(seen[1].headers["content-type"] == "application/json")
        #expect(seen[1].headers["x-clearml-worker"] == "glue-test")
        #expect(seen[1].headers["x-clearml-client"] == "clearml-glue")
        #expect(try JSONValue.decode(Data(seen[1].body.utf8)) == ["task": "any"])
        #expect(await session.serverAPIVersion == "2.31")
        #expect(try await server.logins() == 1)
    }

    @Test func serverErrorsKeepCodeSubcodeAndMessage() async throws {
        let server = try await ReplayServer.start(traces: ["01-sdk-create-enqueue.jsonl"])
        let session = try server.session()
        await #expect {
            _ = try await session.queue(id: "not-a-queue-id")
        } throws: { error in
            guard let error = error as? ClearMLAPIError, error.isServerError(code: 400, subcode: 701) else { return false }
            return "\(error)".contains("queues.get_by_id failed: 400/701")
        }
        await #expect {
            _ = try await session.call("tasks.no_such_call")
        } throws: { error in
            (error as? ClearMLAPIError)?.serverCodes?.code == 404
        }
    }

    @Test func wrongKeysGiveAnActionableAuthenticationError() async throws {
        let server = try await ReplayServer.start(traces: [])
        let session = try server.session(credentials: .keys(accessKey: "AK", secretKey: "wrong-secret"))
        await #expect {
            _ = try await session.serverInfo()
        } throws: { error in
            let text = "\(error)"
            return text.contains("rejected the credentials") && text.contains("CLEARML_API_SECRET_KEY") && !text.contains("wrong-secret")
        }
    }

    @Test func a401LogsInAgainOnceAndRetries() async throws {
        let server = try await ReplayServer.start(traces: ["05-agent-execute-require-queue.jsonl"])
        let session = try server.session()
        _ = try await session.task(id: "t")
        try await server.fault("tasks.get_by_id", status: 401, subcode: 30)
        _ = try await session.task(id: "t")
        #expect(try await server.logins() == 2)
        try await server.fault("tasks.get_by_id", status: 401, times: 2, subcode: 30)
        await #expect {
            _ = try await session.task(id: "t")
        } throws: { error in
            (error as? ClearMLAPIError)?.serverCodes?.code == 401
        }
    }

    @Test func givenAuthTokenIsUsedWithoutLogin() async throws {
        let server = try await ReplayServer.start(traces: ["05-agent-execute-require-queue.jsonl"], acceptToken: "given.token.value")
        let session = try server.session(credentials: .token("given.token.value"))
        _ = try await session.task(id: "t")
        let seen = try await server.requests()
        #expect(seen.map(\.path) == ["/tasks.get_by_id"])
        #expect(seen[0].headers["authorization"] == "Bearer given.token.value")
        #expect(try await server.logins() == 0)
    }

    @Test func transientStatusesAreRetriedAndRetryAfterHonoured() async throws {
        let server = try await ReplayServer.start(traces: ["05-agent-execute-require-queue.jsonl"])
        let session = try server.session()
        try await server.fault("tasks.ping", status: 503, times: 2)
        try await session.ping(task: "t")
        try await server.fault("tasks.ping", status: 429, retryAfter: "0.3")
        let started = ContinuousClock.now
        try await session.ping(task: "t")
        #expect(ContinuousClock.now - started >= .milliseconds(300))
        let pings = try await server.requests().filter { $0.path == "/tasks.ping" }
        #expect(pings.count == 5)
    }

    @Test func exhaustedRetriesSayHowManyAttemptsAndWhy() async throws {
        let server = try await ReplayServer.start(traces: ["05-agent-execute-require-queue.jsonl"])
        let session = try server.session()
        try await server.fault("tasks.ping", status: 503, times: 10)
        await #expect(throws: ClearMLAPIError.unavailable(endpoint: "tasks.ping", attempts: 4, lastError: "HTTP 503")) {
            try await session.ping(task: "t")
        }
    }

    @Test func aQueuePopIsNotRepeatedAfterAnAnswerMayHaveBeenLost() async throws {
        let server = try await ReplayServer.start(traces: ["03-agent-daemon.jsonl"])
        let session = try server.session()
        try await server.fault("queues.get_next_task", status: 504)
        await #expect {
            _ = try await session.nextTask(queue: "q")
        } throws: { error in
            (error as? ClearMLAPIError)?.serverCodes?.code == 504
        }
        #expect(try await server.requests().filter { $0.path.hasSuffix("queues.get_next_task") }.count == 1)
    }

    @Test func aNonEnvelopeAnswerPointsAtTheWrongPort() async throws {
        let server = try await ReplayServer.start(traces: [])
        let session = try server.session()
        try await server.fault("server.info", status: 200, raw: "<html>ClearML web UI</html>")
        await #expect {
            _ = try await session.serverInfo()
        } throws: { error in
            "\(error)".contains("port 8008") && "\(error)".contains("<html>")
        }
    }

    @Test func aDownServerIsRetriedThenReportedClearly() async throws {
        let closed = try ClosedLoopbackPort()
        defer { withExtendedLifetime(closed) {} }
        let port = closed.port
        let session = try ClearMLSession(configuration: ClearMLSessionConfiguration(
            apiServer: "http://127.0.0.1:\(port)", credentials: .keys(accessKey: "AK", secretKey: "SK"),
            retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5), maxDelay: .milliseconds(10))))
        await #expect {
            _ = try await session.serverInfo()
        } throws: { error in
            guard case .unavailable(let endpoint, let attempts, _) = error as? ClearMLAPIError else { return false }
            return endpoint == "auth.login" && attempts == 3 && "\(error)".contains("is the ClearML server up")
        }
    }

    @Test func logEventsAreSentAsJSONLinesBatchesUnderTheSizeLimit() async throws {
        let server = try await ReplayServer.start(traces: ["07-agent-execute-abort.jsonl"])
        let session = try server.session(maxBatchBytes: 400)
        let events = (0..<20).map { LogEvent(task: "t1", message: "line \($0) " + String(repeating: "x", count: 40), timestamp: 1_000 + Int64($0)) }
        _ = try await session.addLogEvents(events)
        let batches = try await server.requests().filter { $0.path.hasSuffix("events.add_batch") }
        #expect(batches.count > 1)
        var messages: [String] = []
        for batch in batches {
            #expect(batch.headers["content-type"] == "application/json-lines")
            #expect(batch.body.utf8.count <= 400)
            for line in batch.body.split(separator: "\n") {
                let event = try JSONValue.decode(Data(line.utf8))
                #expect(event["type"] == "log" && event["task"] == "t1")
                messages.append(event["msg"]?.stringValue ?? "")
            }
        }
        #expect(messages == events.map(\.message))
    }

    @Test func typedCallsDecodeTheRealServersAnswers() async throws {
        let server = try await ReplayServer.start(traces: ["05-agent-execute-require-queue.jsonl", "06-agent-execute-not-queued.jsonl"])
        let session = try server.session()
        let task = try await session.task(id: "t")
        // Every typed view against the real server's recorded document (trace 05, tasks.get_by_id).
        #expect(task.id == "51724d383759440d8b21dcbe2b49ef8e")
        #expect(task.name == "hello-sdk-trace")
        #expect(task.status == .queued)
        #expect(task.type == "training")
        #expect(task.project == "7656828eb1f949119c52ecba0229d971")
        #expect(task.user == "__tests__")
        #expect(task.executionQueue == "653fbb5d6ad34969a54268b45e2802bc")
        #expect(task.script.binary == "python3.11")
        #expect(task.script.entryPoint == "hello_sdk.py")
        #expect(task.script.workingDir == ".")
        #expect(task.script.repository == "")
        #expect(task.script.requirements == ["pip": "clearml"])
        #expect(task.script.diff?.hasPrefix("import time\nfrom clearml import Task\n") == true)
        #expect(task.container.image == "" && task.container.arguments == "" && task.container.setupShellScript == "")
        #expect(task.tags.isEmpty && task.systemTags.isEmpty)
        let claimed = try await session.dequeue(task: task.id, newStatus: .inProgress)
        #expect(claimed.updated == 1)
        #expect(claimed.fields["status"] == "in_progress")
        let refused = try await session.dequeue(task: task.id, newStatus: .inProgress)
        #expect(refused.updated == 0)
    }
}
