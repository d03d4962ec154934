import Agent
import ClearMLAPI
import Foundation
import GlueTestSupport
import JSONValue
import Testing

/// What the ClearML UI shows of a run, compared with upstream clearml-agent 3.0.3: the console's header lines
/// (as recorded in Tests/Fixtures/traces/14-pod-execute-after-official-glue.jsonl) and the requirements written
/// back (upstream clearml_agent/commands/worker.py `freeze_task_environment`, pip_api/system.py `freeze`).
@Suite(.serialized, .timeLimit(.minutes(5))) struct UpstreamConsoleAndRequirementsTests {
    /// The lines of upstream's header that a log parser can key on, in order; everything else is dropped.
    static func skeleton(_ lines: [String]) -> [String] {
        let fields = ["repository", "branch", "version_num", "tag", "docker_cmd", "entry_point", "working_dir"]
        return lines.compactMap { line in
            if line.hasPrefix("Current configuration (") { return "Current configuration (" }
            if line == "----------------------" { return line }
            if line.hasPrefix("Executing task id [") { return "Executing task id [" }
            if let field = fields.first(where: { line.hasPrefix("\($0) = ") }) { return "\(field) = " }
            if line.hasPrefix("Running task id [") { return "Running task id [" }
            if line.hasPrefix("[.]$ ") { return "[.]$ " }
            if ["No freeze information available", "Summary - installed python packages:", "Environment setup completed successfully",
                "Starting Task Execution:"].contains(line) { return line }
            return nil
        }
    }

    /// The first console event of the recorded upstream pod run.
    static func recordedUpstreamConsole() throws -> [String] {
        let file = FixtureServer.fixtures.appendingPathComponent("traces/14-pod-execute-after-official-glue.jsonl")
        let text = try String(contentsOf: file, encoding: .utf8)
        for line in text.split(separator: "\n") {
            let record = try JSONValue.decode(String(line))
            guard record["path"]?.stringValue == "/events.add_batch", let message = record["body"]?["msg"]?.stringValue,
                  message.contains("Executing task id") else { continue }
            return message.components(separatedBy: "\n")
        }
        throw HarnessError("no console event with the header in trace 14")
    }

    @Test func headerPiecesFollowUpstreamShape() throws {
        let script = ClearMLTask(["script": ["entry_point": "hello.py", "working_dir": "."]]).script
        let container = ClearMLTask(["container": ["image": "python:3.11-slim", "arguments": "-e TOKEN=abc --env=PASS=x -eK=v --ipc=host"]]).container
        let lines = ConsoleHeader.execution(taskID: "t1", script: script, container: container)
        #expect(lines == ["Executing task id [t1]:", "repository = ", "branch = ", "version_num = ", "tag = ",
                          "docker_cmd = python:3.11-slim -e TOKEN=******** --env=PASS=******** -eK=******** --ipc=host",
                          "entry_point = hello.py", "working_dir = .", ""])
        let running = ConsoleHeader.running(taskID: "t1", workingDir: ".", command: ["py", "-u", "a.py"], freeze: ["b==2", "A==1"])
        #expect(running == ["Running task id [t1]:", "[.]$ py -u a.py", "Summary - installed python packages:", "pip:", "- A==1", "- b==2",
                            "Environment setup completed successfully", "", "Starting Task Execution:", ""])
        #expect(ConsoleHeader.running(taskID: "t1", workingDir: ".", command: ["py"], freeze: nil)[2] == "No freeze information available")
    }

    @Test func requirementsAreWrittenAsUpstreamWritesThem() {
        // pip becomes a list of lines; the original moves to org_pip once; the agent itself is not listed.
        #expect(PythonChoice.freezeLines("a==1\n\nclearml-agent==3.0.3\r\nb @ file:///x\n") == ["a==1", "b @ file:///x"])
        let first = PythonChoice.frozenRequirements(current: ["pip": "a\n", "conda": "x"], freeze: ["a==1"])
        #expect(first == ["pip": ["a==1"], "org_pip": "a\n", "conda": "x"])
        let again = PythonChoice.frozenRequirements(current: first, freeze: ["a==2"])
        #expect(again?["org_pip"] == "a\n" && again?["pip"] == ["a==2"])
        // An empty original pip is not worth keeping (upstream tests its truthiness).
        #expect(PythonChoice.frozenRequirements(current: ["pip": ""], freeze: ["a==1"]) == ["pip": ["a==1"]])
        // Nothing frozen: nothing to write (not {"pip": ""}).
        #expect(PythonChoice.frozenRequirements(current: ["pip": "a\n"], freeze: []) == nil)
        #expect(PythonChoice.frozenRequirements(current: nil, freeze: PythonChoice.freezeLines("\n")) == nil)
    }

    @Test func scriptWithoutRequirementsWritesNoneAndTheConsoleStartsLikeUpstream() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let task = try await harness.createTask(["entry_point": "hello.py", "working_dir": ".", "binary": "python3",
                                                 "diff": "print('hello from task')\n"])
        try await harness.enqueue(task)
        // A fresh venv (no skip): pip freeze runs, but a task with no requirements and no repository writes nothing back.
        #expect(try await harness.execute(task) == 0)
        let done = try await harness.session.task(id: task)
        #expect(done.status == .completed)
        let requirements = done.document.value(at: "script.requirements")
        #expect(requirements?["pip"] == nil, "requirements written back: \(String(describing: requirements))")

        let lines = try await harness.consoleLines(task)
        let upstream = try Self.recordedUpstreamConsole()
        let ours = Array(Self.skeleton(lines).prefix(Self.skeleton(upstream).count))
        #expect(ours == Self.skeleton(upstream), "console:\n\(lines.joined(separator: "\n"))")
        // The console starts with upstream's configuration title, before any line of ours.
        #expect(lines.first?.hasPrefix("Current configuration (") == true)
        #expect(lines.contains("Executing task id [\(task)]:") && lines.contains("Running task id [\(task)]:"))
        #expect(lines.contains("No freeze information available"))
        // Our own setup lines stay, marked, and come after the upstream header.
        let own = try #require(lines.firstIndex { $0.hasPrefix(ConsoleHeader.marker + "Creating the virtual environment") })
        let executing = try #require(lines.firstIndex(of: "Executing task id [\(task)]:"))
        #expect(executing < own)
        #expect(lines.contains { $0.hasPrefix(ConsoleHeader.marker + "agent executing task \(task)") })
        // The secret key never appears; the access key is shown as upstream shows it.
        #expect(!lines.joined().contains(harness.secretKey))
        #expect(lines.contains("api.credentials.secret_key = ****"))
        #expect(lines.contains("hello from task"))
    }

    @Test func installedRequirementsAreWrittenBackAsAListOfLines() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let task = try await harness.createTask(["entry_point": "main.py", "working_dir": ".", "binary": "python3",
                                                 "diff": "import tinypkg\nprint('tinypkg', tinypkg.VALUE)\n",
                                                 "requirements": ["pip": ["tinypkg==0.1"]]])
        try await harness.enqueue(task)
        #expect(try await harness.execute(task) == 0)
        let done = try await harness.session.task(id: task)
        #expect(done.status == .completed)
        let requirements = try #require(done.document.value(at: "script.requirements"))
        #expect(requirements["org_pip"] == ["tinypkg==0.1"])
        let pip = try #require(requirements["pip"]?.arrayValue, "pip is not a list: \(requirements)")
        #expect(pip.contains("tinypkg==0.1"))
        #expect(!pip.contains(""))
        let lines = try await harness.consoleLines(task)
        #expect(lines.contains("Summary - installed python packages:") && lines.contains("- tinypkg==0.1"))
        #expect(lines.contains("tinypkg 42"))
    }
}
