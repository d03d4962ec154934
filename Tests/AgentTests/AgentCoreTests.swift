import Agent
import ClearMLAPI
import JSONValue
import Testing

/// The agent's pure decisions, table-tested without a server.
@Suite struct AgentCoreTests {
    func task(_ status: String, message: String? = nil, runtime: JSONValue = [:], queue: String? = nil) -> ClearMLTask {
        var document: JSONValue = ["id": "t1", "status": .string(status), "runtime": runtime]
        if let message { document["status_message"] = .string(message) }
        if let queue { document["execution"] = ["queue": .string(queue)] }
        return ClearMLTask(document)
    }

    @Test func abortPollFollowsUpstreamRules() {
        var decision = StopDecision()
        #expect(decision.evaluate(task("in_progress")) == nil)
        #expect(decision.evaluate(task("in_progress", message: "stopping")) == .abortRequested)
        #expect(decision.evaluate(task("queued")) == .statusChanged("queued"))
        #expect(decision.evaluate(task("failed")) == .statusChanged("failed"))
        #expect(decision.evaluate(nil) == .notFound)
        var reset = StopDecision()
        for _ in 1..<StopDecision.resetPolls { #expect(reset.evaluate(task("created")) == nil) }
        #expect(reset.evaluate(task("created")) == .reset)
    }

    @Test func claimDecisions() {
        #expect(ClaimCheck.decide(task: task("queued", queue: "q"), requireQueue: true, worker: "w") == .claim(queue: "q"))
        guard case .refuse(let why) = ClaimCheck.decide(task: task("in_progress", runtime: ["_exec_agent_worker": "other"]), requireQueue: true, worker: "w") else {
            Issue.record("an in-progress task was claimable with --require-queue")
            return
        }
        #expect(why.contains("is not queued (status in_progress, executed by worker other)"))
        #expect(ClaimCheck.decide(task: task("in_progress", runtime: ["_exec_agent_worker": "w"]), requireQueue: false, worker: "w") == .claim(queue: nil))
        #expect(ClaimCheck.decide(task: task("created"), requireQueue: false, worker: "w") == .claim(queue: nil))
    }

    @Test func outcomesMapToUpstreamStatusCalls() {
        #expect(RunOutcome.exited(0).report(stop: nil).change == .completed)
        let failed = RunOutcome.exited(3).report(stop: nil)
        #expect(failed.change == .failed && failed.statusReason == "worker execution exit code 3" && failed.taskExitCode == 3)
        #expect(RunOutcome.exited(-9).report(stop: nil).taskExitCode == 137)
        #expect(RunOutcome.exited(-2).report(stop: nil).change == .stopped)
        #expect(RunOutcome.exited(-15).report(stop: .abortRequested).change == .stopped)
        #expect(RunOutcome.exited(-15).report(stop: .statusChanged("failed")).change == nil)
        #expect(RunOutcome.setupFailed("git clone failed").report(stop: nil).statusReason.hasPrefix("environment setup failed: git clone failed"))
    }

    @Test func checkoutPlanPicksCommitThenTagThenBranch() throws {
        func plan(_ script: JSONValue) throws -> CheckoutPlan {
            try CheckoutPlan(script: ClearMLTask(["script": script]).script, taskID: "t", forceCodeDir: nil, forceExecScript: nil)
        }
        #expect(try plan(["repository": "r", "version_num": "abc", "tag": "v1", "branch": "main", "entry_point": "a.py"]).source == .git(repository: "r", revision: .commit("abc")))
        #expect(try plan(["repository": "r", "tag": "v1", "branch": "main", "entry_point": "a.py"]).source == .git(repository: "r", revision: .tag("v1")))
        #expect(try plan(["repository": "r", "branch": "origin/dev", "entry_point": "a.py"]).source == .git(repository: "r", revision: .branch("dev")))
        #expect(try plan(["diff": "print(1)", "entry_point": "a.py"]).source == .standaloneScript(text: "print(1)\n"))
        #expect(throws: AgentError.self) { try plan(["entry_point": "a.py"]) }
        #expect(throws: AgentError.self) { try plan(["repository": "r"]) }
        let forced = try CheckoutPlan(script: ClearMLTask(["script": ["repository": "r", "entry_point": "a.py"]]).script, taskID: "t",
                                      forceCodeDir: "/code", forceExecScript: "b.py")
        #expect(forced.source == .existingDirectory("/code") && forced.entryPoint == "b.py")
    }

    @Test func pythonChoiceAndCommands() throws {
        #expect(PythonChoice.candidates(pythonVersion: "3.10", scriptBinary: "python3.11", configuredBinary: "/opt/py") == ["python3.10", "python3.11", "/opt/py", "python3", "python"])
        #expect(PythonChoice.requirements(["pip": ["a==1", "b"]]) == "a==1\nb\n")
        #expect(PythonChoice.requirements(["pip": "# only a comment\n"]) == nil)
        let frozen = PythonChoice.frozenRequirements(current: ["pip": "a\n"], freeze: ["a==1"])
        #expect(frozen?["org_pip"]?.stringValue == "a\n" && frozen?["pip"] == ["a==1"])
        #expect(try EntryCommand.make(python: "py", scriptBinary: "python3", entryPoint: "-m pkg.mod --x 'a b'") == ["py", "-u", "-m", "pkg.mod", "--x", "a b"])
        #expect(try EntryCommand.make(python: "py", scriptBinary: "python3", entryPoint: "run.py", optimization: 1) == ["py", "-u", "-O", "run.py"])
        #expect(try EntryCommand.make(python: "py", scriptBinary: "/bin/bash", entryPoint: "run.sh") == ["/bin/bash", "run.sh"])
        #expect(try EntryCommand.make(python: "py", scriptBinary: "/bin/sh", entryPoint: "run.sh") == ["/bin/sh", "run.sh"])
        #expect(try EntryCommand.make(python: "py", scriptBinary: "bash", entryPoint: "-c echo hi") == ["bash", "-c", "echo hi"])
        #expect(TaskInitPatch.patched("#!/usr/bin/env python\nprint(1)\n").components(separatedBy: "\n")[2] == "from clearml import Task as __ClearmlTask")
    }
}
