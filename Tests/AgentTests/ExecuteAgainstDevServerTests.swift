import Agent
import ClearMLAPI
import DevServer
import Foundation
import GlueTestSupport
import JSONValue
import Testing

/// `execute` end to end against the embedded server: real git, real venv and pip (offline, a local wheel),
/// real processes. Serialized: the abort timings must not compete with a parallel pip install.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ExecuteAgainstDevServerTests {
    static let mainScript = """
    import sys
    import tinypkg
    print("script started")
    print("message:", open("message.txt").read().strip())
    print("tinypkg", tinypkg.VALUE)
    print("to stderr", file=sys.stderr)
    """

    /// A repo whose committed message is patched by the task's diff, with one requirement.
    func repoTask(_ harness: AgentHarness) async throws -> String {
        let repo = try harness.makeRepository(["main.py": Self.mainScript, "message.txt": "original\n"])
        try Data("patched\n".utf8).write(to: URL(fileURLWithPath: repo + "/message.txt"))
        let diff = try AgentHarness.run(["git", "diff"], in: repo)
        try AgentHarness.run(["git", "checkout", "--quiet", "message.txt"], in: repo)
        return try await harness.createTask([
            "repository": .string(repo), "branch": "main", "entry_point": "main.py", "working_dir": ".",
            "binary": "python3", "diff": .string(diff), "requirements": ["pip": "tinypkg==0.1\n"],
        ])
    }

    @Test func repoTaskWithDiffAndRequirementCompletesAndSecondRunReusesTheVenvCache() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let cache = ["CLEARML_AGENT_VENV_CACHE_PATH": harness.root + "/venv-cache"]
        let task = try await repoTask(harness)
        try await harness.enqueue(task)
        let code = try await harness.execute(task, env: cache)
        #expect(code == 0)
        let done = try await harness.session.task(id: task)
        #expect(done.status == .completed)
        #expect(done.statusReason == "worker execution done")
        let lines = try await harness.consoleLines(task)
        let order = ["Cloning", "Applying the task's uncommitted changes", "Installing the task's requirements",
                     "Successfully installed tinypkg-0.1", "Running task id [\(task)]:", "script started", "message: patched",
                     "tinypkg 42", "to stderr", "Process completed successfully"]
        var position = 0
        for expected in order {
            guard let found = lines[position...].firstIndex(where: { $0.contains(expected) }) else {
                Issue.record("'\(expected)' missing (or out of order) in the console:\n\(lines.joined(separator: "\n"))")
                return
            }
            position = found
        }
        // The frozen environment was written back, the original kept.
        let requirements = done.document.value(at: "script.requirements")
        #expect(requirements?["org_pip"]?.stringValue == "tinypkg==0.1\n")
        #expect(requirements?["pip"]?.arrayValue?.contains("tinypkg==0.1") == true)
        #expect(done.document.value(at: "script.version_num")?.stringValue?.count == 40)
        #expect(done.runtime["_exec_agent_hostname"]?.stringValue == "test-host")

        // A second identical task: same interpreter and requirements, so pip does not run again.
        let second = try await repoTask(harness)
        try await harness.enqueue(second)
        #expect(try await harness.execute(second, env: cache) == 0)
        let secondLines = try await harness.consoleLines(second)
        #expect(secondLines.contains { $0.contains("Reusing the prepared Python environment") })
        #expect(!secondLines.contains { $0.contains("Installing the task's requirements") })
        #expect(secondLines.contains("tinypkg 42"))
        #expect(try await harness.session.task(id: second).status == .completed)
    }

    @Test func failingScriptEndsFailedWithItsExitCode() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let task = try await harness.createTask([
            "entry_point": "fail.py", "binary": "python3", "diff": "print('about to fail')\nraise SystemExit(3)\n",
        ])
        try await harness.enqueue(task)
        let code = try await harness.execute(task, env: ["CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL": "1"])
        #expect(code == AgentExitCode.success)  // upstream: the pod does not reflect the task by default
        let failed = try await harness.session.task(id: task)
        #expect(failed.status == .failed)
        #expect(failed.statusReason == "worker execution exit code 3")
        let lines = try await harness.consoleLines(task)
        #expect(lines.contains("about to fail"))
        #expect(lines.contains("Process failed, exit code 3"))

        // With the pod reflecting the task, the agent's exit code says "failed".
        let again = try await harness.createTask(["entry_point": "fail.py", "binary": "python3", "diff": "raise SystemExit(5)\n"])
        try await harness.enqueue(again)
        let reflected = try await harness.execute(again, env: ["CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL": "1"]) { $0.reflectTaskResult = true }
        #expect(reflected == AgentExitCode.taskFailed)
    }

    @Test func notQueuedIsRefusedAndNothingIsTouched() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let task = try await harness.createTask(["entry_point": "x.py", "diff": "print('never')\n"])
        let code = try await harness.execute(task, env: ["CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL": "1"])
        #expect(code == AgentExitCode.claimRefused)
        let untouched = try await harness.session.task(id: task)
        #expect(untouched.status == .created)
        #expect(untouched.runtime.isEmpty)
        #expect(try await harness.session.taskLog(task: task).total == 0)
    }

    @Test func concurrentClaimsOfOneTaskLetExactlyOneThrough() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let task = try await harness.createTask(["entry_point": "x.py", "diff": "print('x')\n"])
        try await harness.enqueue(task)
        let results = await withTaskGroup(of: Result<String, AgentError>.self) { group in
            for index in 0..<4 {
                group.addTask {
                    let claim = TaskClaim(session: harness.session, worker: "w\(index)", hostname: "h", pod: nil)
                    do throws(AgentError) {
                        _ = try await claim.claim(taskID: task, requireQueue: true)
                        try await claim.markStarted(taskID: task)
                        return .success("w\(index)")
                    } catch {
                        return .failure(error)
                    }
                }
            }
            return await group.reduce(into: [Result<String, AgentError>]()) { $0.append($1) }
        }
        let winners = results.compactMap { try? $0.get() }
        #expect(winners.count == 1, "\(results)")
        // The losers are refused claims, nothing else: a server error or a crash is not a refusal.
        for case .failure(let error) in results {
            guard case .claimRefused = error else {
                Issue.record("a concurrent claim failed with something other than a refusal: \(error) (exit \(error.exitCode))")
                continue
            }
        }
        let claimed = try await harness.session.task(id: task)
        #expect(claimed.status == .inProgress)
        #expect(claimed.runtime["_exec_agent_worker"]?.stringValue == winners.first)
        // A later duplicate (a second pod for the same task) is refused too, and says who runs it.
        do {
            _ = try await TaskClaim(session: harness.session, worker: "late", hostname: "h", pod: nil).claim(taskID: task, requireQueue: true)
            Issue.record("a second claim of an in-progress task succeeded")
        } catch {
            #expect(error.exitCode == AgentExitCode.claimRefused)
            #expect(error.description.contains("is not queued (status in_progress, executed by worker w"))
        }
        // Without --require-queue, an in-progress task owned by another worker is refused as well.
        do {
            _ = try await TaskClaim(session: harness.session, worker: "late", hostname: "h", pod: nil).claim(taskID: task, requireQueue: false)
            Issue.record("a claim without --require-queue of a task another worker runs succeeded")
        } catch {
            #expect(error.description.contains("already being executed by worker w"))
        }
    }

    /// A user's abort (tasks.stop: status_message "stopping") that arrives between the agent's claim
    /// (tasks.dequeue -> in_progress) and its tasks.started must survive, or the abort poll never sees it and
    /// the task runs to its end: tasks.started is forced and would replace it.
    @Test func anAbortBetweenClaimAndStartedIsNotLost() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let task = try await harness.createTask(["entry_point": "x.py", "diff": "print('x')\n"])
        try await harness.enqueue(task)
        let claim = TaskClaim(session: harness.session, worker: "w", hostname: "h", pod: nil)
        _ = try await claim.claim(taskID: task, requireQueue: true)
        // The server either stops it at once (no live worker on record yet) or flags it "stopping".
        let stop = try await harness.session.stop(task: task)
        let stopped = "\(stop.fields["status"]?.stringValue ?? "unchanged")/\(stop.fields["status_message"]?.stringValue ?? "")"
        #expect(try await claim.markStarted(taskID: task), "the pending abort was not seen")
        let after = try await harness.session.task(id: task)
        #expect(after.status == .stopped || after.statusMessage == "stopping",
                "after the stop (\(stopped)) and tasks.started: status \(after.status), message \(after.statusMessage ?? "")")
    }
}
