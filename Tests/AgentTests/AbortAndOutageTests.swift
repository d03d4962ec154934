import Agent
import ClearMLAPI
import DevServer
import Foundation
import GlueTestSupport
import JSONValue
import Testing

/// Stops (user abort during setup and during the run, SIGTERM to the agent), a server outage mid-run,
/// and `build` followed by `execute`.
@Suite(.serialized, .timeLimit(.minutes(3))) struct AbortAndOutageTests {
    static let sleeper = "import time\nprint('script started', flush=True)\ntime.sleep(120)\nprint('never printed')\n"

    func callbackEnvironment(_ harness: AgentHarness, marker: String) -> [String: String] {
        ["CLEARML_AGENT_ABORT_CALLBACK_CMD": "sh -c 'echo ran > \(marker)'", "CLEARML_AGENT_ABORT_CALLBACK_TIMEOUT": "5"]
    }

    @Test func abortDuringTheRunStopsWithinTwoSecondsAfterTheCallback() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let task = try await harness.createTask(["entry_point": "sleep.py", "binary": "python3", "diff": .string(Self.sleeper)])
        try await harness.enqueue(task)
        let marker = harness.root + "/callback-ran"
        var env = callbackEnvironment(harness, marker: marker)
        env["CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL"] = "1"
        let environment = env
        async let exit = harness.execute(task, env: environment)
        try await harness.waitForConsole(task, containing: "script started")
        _ = try await harness.session.stop(task: task)
        let took = try await harness.waitForStatus(task, .stopped, seconds: 10)
        #expect(took < .seconds(2), "stopped after \(took)")
        #expect(try await exit == AgentExitCode.success)
        #expect(FileManager.default.fileExists(atPath: marker), "the abort callback did not run")
        let stopped = try await harness.session.task(id: task)
        #expect(stopped.runtime["_abort_callback_completed"]?.stringValue == "1")
        let lines = try await harness.consoleLines(task)
        #expect(lines.contains { $0.contains("User aborted") })
        #expect(!lines.contains("never printed"))
    }

    @Test func abortDuringSetupStopsWithinTwoSecondsAndTheScriptNeverStarts() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let repo = try harness.makeRepository(["main.py": "print('script started')\n"])
        let task = try await harness.createTask(["repository": .string(repo), "entry_point": "main.py", "binary": "python3",
                                                 "requirements": ["pip": "tinypkg==0.1\n"]])
        try await harness.enqueue(task)
        let marker = harness.root + "/callback-ran"
        let environment = callbackEnvironment(harness, marker: marker)
        async let exit = harness.execute(task, env: environment)
        try await harness.waitForConsole(task, containing: "Creating the virtual environment")
        _ = try await harness.session.stop(task: task)
        let took = try await harness.waitForStatus(task, .stopped, seconds: 10)
        #expect(took < .seconds(2), "stopped after \(took)")
        #expect(try await exit == AgentExitCode.success)
        #expect(FileManager.default.fileExists(atPath: marker), "the abort callback did not run")
        #expect(!(try await harness.consoleLines(task)).contains("script started"))
    }

    @Test func sigtermToTheAgentStopsTheTaskAndReportsWhy() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let task = try await harness.createTask(["entry_point": "sleep.py", "binary": "python3", "diff": .string(Self.sleeper)])
        try await harness.enqueue(task)
        let (signals, deliver) = AsyncStream<Int32>.makeStream()
        async let exit = harness.execute(task, env: ["CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL": "1"], signals: signals)
        try await harness.waitForConsole(task, containing: "script started")
        deliver.yield(SIGTERM)
        _ = try await harness.waitForStatus(task, .stopped, seconds: 10)
        #expect(try await exit == AgentExitCode.success)
        let stopped = try await harness.session.task(id: task)
        #expect(stopped.statusReason?.contains("SIGTERM") == true)
    }

    @Test func serverDownForTenSecondsMidRunLosesNoConsoleLine() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("agent-outage-\(UUID().uuidString.prefix(8))").path
        let harness = try await AgentHarness.start(configuration: DevServerConfiguration(dataDirectory: data))
        defer { Task { await harness.stop(); try? FileManager.default.removeItem(atPath: data) } }
        let port = try #require(URL(string: harness.baseURL)?.port)
        let count = 150
        let script = "import time\nfor i in range(\(count)):\n    print('line', i, flush=True)\n    time.sleep(0.1)\n"
        let task = try await harness.createTask(["entry_point": "lines.py", "binary": "python3", "diff": .string(script)])
        try await harness.enqueue(task)
        async let exit = harness.execute(task, env: ["CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL": "1"])
        try await harness.waitForConsole(task, containing: "line 10")
        await harness.servers.stop()
        try await Task.sleep(for: .seconds(10))
        // The old listener may linger briefly after a graceful shutdown: try again for a while.
        let restarted = ContinuousClock.now
        while true {
            do {
                try await harness.servers.restart(port: port, dataDirectory: data)
                break
            } catch where ContinuousClock.now - restarted < .seconds(90) {
                try await Task.sleep(for: .milliseconds(250))
            }
        }
        print("server back after \(ContinuousClock.now - restarted) more")
        #expect(try await exit == AgentExitCode.success)
        #expect(try await harness.session.task(id: task).status == .completed)
        let printed = try await harness.consoleLines(task).filter { $0.hasPrefix("line ") }
        #expect(printed == (0..<count).map { "line \($0)" })
    }

    @Test func buildThenExecuteReusesThePreparedCodeAndEnvironment() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let repo = try harness.makeRepository(["main.py": "import tinypkg\nprint('tinypkg', tinypkg.VALUE)\n"])
        let task = try await harness.createTask(["repository": .string(repo), "entry_point": "main.py", "binary": "python3",
                                                 "requirements": ["pip": "tinypkg==0.1\n"]])
        let target = harness.root + "/prepared"
        let built = try await harness.execute(task) {
            $0.buildOnly = true
            $0.requireQueue = false
            $0.target = target
        }
        #expect(built == AgentExitCode.success)
        #expect(try await harness.session.task(id: task).status == .created)  // build changes nothing on the server
        #expect(FileManager.default.fileExists(atPath: target + "/venv/bin/python"))

        try await harness.enqueue(task)
        #expect(try await harness.execute(task) { $0.target = target } == AgentExitCode.success)
        let lines = try await harness.consoleLines(task)
        #expect(lines.contains { $0.contains("Using the code prepared by 'build'") })
        #expect(lines.contains { $0.contains("Reusing the prepared Python environment") })
        #expect(!lines.contains { $0.contains("Installing the task's requirements") })
        #expect(lines.contains("tinypkg 42"))
        #expect(try await harness.session.task(id: task).status == .completed)
    }
}
