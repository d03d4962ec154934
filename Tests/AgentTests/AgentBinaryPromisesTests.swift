import Agent
import ClearMLAPI
import DevServer
import Foundation
import GlueTestSupport
import JSONValue
import Testing

/// README promises of the in-pod agent, each checked through the built `clearml-glue execute` as a pod
/// runs it (a child process with only environment and flags), against the embedded server.
@Suite(.serialized, .timeLimit(.minutes(5))) struct AgentExitCodeTests {
    static let sleeper = "import time\nprint('script started', flush=True)\ntime.sleep(120)\n"
    static let skipEnv = ["CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL": "1"]

    func scriptTask(_ harness: AgentHarness, _ script: String) async throws -> String {
        let task = try await harness.createTask(["entry_point": "main.py", "binary": "python3", "diff": .string(script)])
        try await harness.enqueue(task)
        return task
    }

    @Test func aTaskThatDoesNotExistExitsFour() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let run = try await harness.executeBinary("0123456789abcdef0123456789abcdef")
        #expect(run.code == AgentExitCode.taskNotFound, "\(run.output.suffix(2000))")
        #expect(run.output.contains("could not find task id=0123456789abcdef0123456789abcdef"))
    }

    @Test func anUnreachableServerOrRefusedCredentialsExitFive() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let task = try await scriptTask(harness, "print('never')\n")
        let closed = try ClosedLoopbackPort()
        defer { withExtendedLifetime(closed) {} }
        let down = try await harness.executeBinary(task, serverURL: "http://127.0.0.1:\(closed.port)")
        #expect(down.code == AgentExitCode.serverUnavailable, "\(down.output.suffix(2000))")
        #expect(down.output.contains("is the ClearML server up"))
        let refused = try await harness.executeBinary(task, env: ["CLEARML_API_SECRET_KEY": "not-the-secret"])
        #expect(refused.code == AgentExitCode.serverUnavailable, "\(refused.output.suffix(2000))")
        #expect(refused.output.contains("rejected the credentials") && !refused.output.contains("not-the-secret"))
        // Neither run changed the task.
        #expect(try await harness.session.task(id: task).status == .queued)
    }

    /// README "Logging": one line per event on stderr, `--log-format json`; `CLEARML_LOG_LEVEL` takes Python
    /// names too (CRITICAL hides the error).
    @Test func logLinesAreJSONWhenAskedAndTheLevelFiltersThem() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let missing = "0123456789abcdef0123456789abcdef"
        let json = try await harness.executeBinary(missing, ["--log-format", "json"])
        #expect(json.code == AgentExitCode.taskNotFound)
        let lines = json.output.split(separator: "\n").filter { !$0.isEmpty }
        #expect(!lines.isEmpty)
        for line in lines {
            let event = try? JSONValue.decode(Data(line.utf8))
            #expect(event?["level"]?.stringValue != nil && event?["msg"]?.stringValue != nil && event?["ts"]?.stringValue != nil, "not a JSON log line: \(line)")
        }
        #expect(lines.contains { $0.contains("\"level\":\"error\"") && $0.contains("could not find task id=\(missing)") })
        let quiet = try await harness.executeBinary(missing, env: ["CLEARML_LOG_LEVEL": "CRITICAL"])
        #expect(quiet.code == AgentExitCode.taskNotFound)
        #expect(!quiet.output.contains("could not find task"), "an error line passed CLEARML_LOG_LEVEL=CRITICAL: \(quiet.output)")
    }

    @Test func anInvalidSettingExitsSix() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let task = try await scriptTask(harness, "print('never')\n")
        let variable = try await harness.executeBinary(task, env: ["CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL": "maybe"])
        #expect(variable.code == AgentExitCode.invalidInput, "\(variable.output.suffix(2000))")
        #expect(variable.output.contains("CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL"))
        try "agent {\n  cpu_only: perhaps\n}\n".write(toFile: harness.home + "/bad.conf", atomically: true, encoding: .utf8)
        let file = try await harness.executeBinary(task, env: ["CLEARML_CONFIG_FILE": harness.home + "/bad.conf"])
        #expect(file.code == AgentExitCode.invalidInput, "\(file.output.suffix(2000))")
        #expect(file.output.contains("bad.conf:2"))
        #expect(try await harness.session.task(id: task).status == .queued)
    }

    /// README: "6 | invalid flag, variable or setting", also for what ArgumentParser rejects while parsing
    /// (unknown or contradictory flags, the two exit-code variables), which it would end with its own 64.
    @Test func anInvalidFlagOrExitCodeVariableExitsSix() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let task = try await scriptTask(harness, "print('never')\n")
        let cases: [(String, [String], [String: String])] = [
            ("unknown flag", ["--no-such-flag"], [:]),
            ("contradictory flags", ["--gpus", "0", "--cpu-only"], [:]),
            ("--git-user without --git-pass", ["--git-user", "u"], [:]),
            ("CLEARML_AGENT_PROPAGATE_EXITCODE=maybe", [], ["CLEARML_AGENT_PROPAGATE_EXITCODE": "maybe"]),
            ("CLEARML_K8S_GLUE_POD_EXIT_CODE_REFLECTS_TASK=maybe", [], ["CLEARML_K8S_GLUE_POD_EXIT_CODE_REFLECTS_TASK": "maybe"]),
        ]
        for (what, flags, env) in cases {
            let run = try await harness.executeBinary(task, flags, env: env)
            #expect(run.code == AgentExitCode.invalidInput, "\(what): exit \(run.code): \(run.output.suffix(500))")
        }
        #expect(try await harness.session.task(id: task).status == .queued)
    }

    @Test func aClaimRefusedExitsThreeAndChangesNothing() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let task = try await harness.createTask(["entry_point": "main.py", "binary": "python3", "diff": "print('never')\n"])
        let run = try await harness.executeBinary(task, env: Self.skipEnv)
        #expect(run.code == AgentExitCode.claimRefused, "\(run.output.suffix(2000))")
        #expect(try await harness.session.task(id: task).status == .created)
    }

    /// By default the exit code is 0 whatever the task did (as upstream); with
    /// CLEARML_K8S_GLUE_POD_EXIT_CODE_REFLECTS_TASK 10 (failed) or 11 (stopped); with
    /// CLEARML_AGENT_PROPAGATE_EXITCODE the script's own code.
    @Test(arguments: [
        ("default", [String: String](), Int32(0), Int32(0), Int32(0)),
        ("reflects", ["CLEARML_K8S_GLUE_POD_EXIT_CODE_REFLECTS_TASK": "true"], Int32(0), Int32(10), Int32(11)),
        ("propagates", ["CLEARML_AGENT_PROPAGATE_EXITCODE": "1"], Int32(0), Int32(7), Int32(130)),
    ])
    func exitCodesReflectTheTaskOnlyWhenAsked(mode: String, env: [String: String], completed: Int32, failed: Int32, stopped: Int32) async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let environment = env.merging(Self.skipEnv) { $1 }

        let ok = try await scriptTask(harness, "print('fine')\n")
        let okRun = try await harness.executeBinary(ok, env: environment)
        #expect(okRun.code == completed, "\(mode) completed: \(okRun.output.suffix(1500))")
        #expect(try await harness.session.task(id: ok).status == .completed)

        let bad = try await scriptTask(harness, "import sys\nprint('failing')\nsys.exit(7)\n")
        let badRun = try await harness.executeBinary(bad, env: environment)
        #expect(badRun.code == failed, "\(mode) failed: \(badRun.output.suffix(1500))")
        let failedTask = try await harness.session.task(id: bad)
        #expect(failedTask.status == .failed)
        #expect(failedTask.statusReason == "worker execution exit code 7")

        let long = try await scriptTask(harness, Self.sleeper)
        let agent = try AgentProcess(harness, ["execute", "--id", long, "--require-queue"], env: environment)
        try await harness.waitForConsole(long, containing: "script started")
        _ = try await harness.session.stop(task: long)
        #expect(try await agent.exitCode() == stopped, "\(mode) stopped: \(agent.output.suffix(1500))")
        #expect(try await harness.session.task(id: long).status == .stopped)
    }
}

@Suite(.serialized, .timeLimit(.minutes(10))) struct AgentConsoleBufferTests {
    /// README: "While the server is unreachable lines are kept (up to 64 MiB; beyond that the oldest are
    /// dropped and a note says so) and re-sent in order." 80 MiB printed during an outage: the newest
    /// 64 MiB arrive, contiguous and in order, after a note that counts the dropped lines.
    @Test func anOutageKeepsTheNewest64MiBAndSaysHowManyLinesWereDropped() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("agent-buffer-\(UUID().uuidString.prefix(8))").path
        let harness = try await AgentHarness.start(configuration: DevServerConfiguration(dataDirectory: data))
        defer { Task { await harness.stop(); try? FileManager.default.removeItem(atPath: data) } }
        let port = try #require(URL(string: harness.baseURL)?.port)
        let go = harness.root + "/go", done = harness.root + "/done"
        let lines = 81_920, pad = 1013  // "line 000000 " + pad + "\n" = 1026 bytes: 80.1 MiB in all
        let script = """
            import os, sys, time
            print('ready', flush=True)
            while not os.path.exists(\(JSONValue.string(go).encodedString())):
                time.sleep(0.05)
            pad = 'x' * \(pad)
            for i in range(\(lines)):
                sys.stdout.write('line %06d %s\\n' % (i, pad))
            sys.stdout.flush()
            open(\(JSONValue.string(done).encodedString()), 'w').close()

            """
        let task = try await harness.createTask(["entry_point": "main.py", "binary": "python3", "diff": .string(script)])
        try await harness.enqueue(task)
        let agent = try AgentProcess(harness, ["execute", "--id", task, "--require-queue"], env: ["CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL": "1"])
        try await harness.waitForConsole(task, containing: "ready")
        await harness.servers.stop()
        FileManager.default.createFile(atPath: go, contents: nil)
        try await withDeadline(300) { while !FileManager.default.fileExists(atPath: done) { try await Task.sleep(for: .milliseconds(100)) } }
        // The agent echoes each line to its stdout as it takes it into the console: once the last line is
        // echoed, all 80 MiB went through the 64 MiB buffer while the server was away.
        let last = String(format: "line %06d ", lines - 1)
        try await withDeadline(300) { while !agent.outputTail().contains(last) { try await Task.sleep(for: .milliseconds(100)) } }
        let restarted = ContinuousClock.now
        while true {
            do {
                try await harness.servers.restart(port: port, dataDirectory: data)
                break
            } catch where ContinuousClock.now - restarted < .seconds(90) {
                try await Task.sleep(for: .milliseconds(250))
            }
        }
        #expect(try await agent.exitCode(within: .seconds(300)) == 0, "\(agent.outputTail(1500))")
        #expect(try await harness.session.task(id: task).status == .completed)

        let console = try await harness.consoleLines(task)
        let noteIndex = try #require(console.firstIndex { $0.contains("console lines were dropped while the server was unreachable") },
                                     "no note about dropped lines")
        let note = console[noteIndex]
        let dropped = try #require(Int(note.split(separator: " ").first { Int($0) != nil } ?? ""), "note: \(note)")
        let kept = console.enumerated().filter { $0.element.hasPrefix("line ") }
        let numbers = kept.compactMap { Int($0.element.dropFirst(5).prefix(6)) }
        let first = try #require(numbers.first)
        #expect(numbers == Array(first..<lines), "the kept lines are not the newest, contiguous and in order")
        #expect(kept.first.map { $0.offset > noteIndex } == true, "the note comes before the re-sent lines")
        let keptBytes = numbers.count * 1026
        #expect(keptBytes <= 64 << 20 && keptBytes > 63 << 20, "kept \(keptBytes) bytes")
        #expect(first > 0)
        // The note's count: every script line before the first kept one was dropped (plus at most a few of the
        // agent's own lines). A send attempt during the outage inserts the note and resets the count, and a later
        // overflow drops that note with its count, so the final note can undercount: a product bug, reported,
        // seen when the machine is loaded (attempts then interleave with the overflow).
        withKnownIssue("the dropped-lines note undercounts when overflow goes on after a failed send", isIntermittent: true) {
            #expect(dropped >= first && dropped <= first + 20, "the note counts \(dropped) dropped lines; the first kept line is \(first)")
        }
    }
}

@Suite(.serialized, .timeLimit(.minutes(5))) struct AgentGitCredentialsTests {
    /// README: credentials "go only to CLEARML_AGENT_GIT_HOST when set and never stay in .git/config". A
    /// repository behind HTTPS Basic auth, cloned three ways (into the vcs cache, updated from it, without
    /// it): the task's .git/config names the remote without credentials, and no file the agent left holds
    /// the password, in clear or as a Basic header.
    @Test func credentialsNeverStayOnDisk() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let user = "gituser", password = "Pw-\(UUID().uuidString.prefix(12))"
        let gitRoot = harness.root + "/served"
        try FileManager.default.createDirectory(atPath: gitRoot, withIntermediateDirectories: true)
        let script = """
            import base64, os, subprocess
            top = subprocess.check_output(['git', 'rev-parse', '--show-toplevel'], text=True).strip()
            print('TOP', top)
            print('CONFIG64', base64.b64encode(open(os.path.join(top, '.git', 'config'), 'rb').read()).decode())

            """
        let source = try harness.makeRepository(["main.py": script])
        try AgentHarness.run(["git", "clone", "--quiet", "--bare", source, gitRoot + "/repo.git"])
        let certificates = TestCertificates.shared
        let server = try await FixtureServer.startPython("https_git_server.py", [
            "--cert", certificates.serverCertificate, "--key", certificates.serverKey, "--git-root", gitRoot,
            "--user", user, "--password", password,
        ])
        let display = "https://127.0.0.1:\(server.port)/git/repo.git"
        let env = ["CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL": "1", "GIT_SSL_CAINFO": certificates.caCertificate,
                   "CLEARML_AGENT_GIT_USER": user, "CLEARML_AGENT_GIT_PASS": password]
        let basic = Data("\(user):\(password)".utf8).base64EncodedString()
        for (run, extra) in [("into the cache", [String: String]()), ("from the cache", [:]),
                             ("without the cache", ["CLEARML_AGENT__AGENT__VCS_CACHE__ENABLED": "false"])] {
            let task = try await harness.createTask(["repository": .string(display), "branch": "main", "entry_point": "main.py",
                                                     "working_dir": ".", "binary": "python3"], name: "git \(run)")
            try await harness.enqueue(task)
            let result = try await harness.executeBinary(task, env: env.merging(extra) { $1 })
            #expect(result.code == 0, "\(run): \(result.output.suffix(2000))")
            #expect(try await harness.session.task(id: task).status == .completed, "\(run)")
            let console = try await harness.consoleLines(task)
            let encoded = try #require(console.first { $0.hasPrefix("CONFIG64 ") }.map { String($0.dropFirst(9)) }, "\(run): \(console)")
            let config = String(decoding: Data(base64Encoded: encoded) ?? Data(), as: UTF8.self)
            #expect(config.contains("url = \(display)"), "\(run): .git/config is\n\(config)")
            #expect(!config.contains(password) && !config.contains(basic), "\(run): .git/config keeps the credentials:\n\(config)")
            let top = try #require(console.first { $0.hasPrefix("TOP ") }.map { String($0.dropFirst(4)) })
            #expect(top.hasPrefix(harness.root), "\(run): the code is outside the scanned folder: \(top)")
            #expect(!console.joined().contains(password), "\(run): the console shows the password")
            #expect(!result.output.contains(password), "\(run): the agent's output shows the password")
        }
        let leaks = try Self.files(under: harness.root, containing: [password, basic])
        #expect(leaks.isEmpty, "files holding the git credentials: \(leaks)")
    }

    static func files(under root: String, containing needles: [String]) throws -> [String] {
        var found: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            let path = root + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let data = FileManager.default.contents(atPath: path) else { continue }
            if needles.contains(where: { data.range(of: Data($0.utf8)) != nil }) { found.append(relative) }
        }
        return found
    }
}

/// Timing-sensitive (run on their own by scripts/test): README "SIGTERM to the process group, SIGKILL 3 s
/// later" on an abort, and the same when the agent itself gets SIGTERM (pod deletion).
@Suite(.serialized, .timeLimit(.minutes(3))) struct AgentKillTimingTests {
    /// A script that ignores SIGTERM (and notes when it came) and a child in its process group that
    /// ignores it too; both append a timestamp every 50 ms until they are killed.
    static func stubbornScript(_ root: String) -> String {
        """
        import signal, subprocess, sys, time
        def noted(*_):
            with open('\(root)/term', 'w') as f: f.write(repr(time.time()))
        signal.signal(signal.SIGTERM, noted)
        child = subprocess.Popen(['sh', '-c', 'trap "" TERM; while true; do date +%s.%N >> \(root)/child-ticks; sleep 0.05; done'])
        print('script started', flush=True)
        while True:
            with open('\(root)/ticks', 'a') as f: f.write(repr(time.time()) + '\\n')
            time.sleep(0.05)

        """
    }

    static func lastTick(_ path: String) -> Double? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").compactMap { Double($0) }.last
    }

    func expectKilledThreeSecondsAfterTerm(_ root: String) throws {
        let term = try #require((try? String(contentsOfFile: root + "/term", encoding: .utf8)).flatMap { Double($0) }, "the script never got SIGTERM")
        let script = try #require(Self.lastTick(root + "/ticks"))
        let child = try #require(Self.lastTick(root + "/child-ticks"))
        // SIGKILL 3 s after SIGTERM, to the whole group: the last tick of each is ~3 s after the SIGTERM.
        #expect((2.6...3.8).contains(script - term), "the script lived \(script - term) s after SIGTERM")
        #expect((2.6...3.8).contains(child - term), "the child lived \(child - term) s after SIGTERM")
    }

    @Test func anAbortSendsSIGKILLThreeSecondsAfterSIGTERM() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let task = try await harness.createTask(["entry_point": "main.py", "binary": "python3", "diff": .string(Self.stubbornScript(harness.root))])
        try await harness.enqueue(task)
        let agent = try AgentProcess(harness, ["execute", "--id", task, "--require-queue"], env: ["CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL": "1"])
        try await harness.waitForConsole(task, containing: "script started")
        _ = try await harness.session.stop(task: task)
        #expect(try await agent.exitCode(within: .seconds(60)) == 0, "\(agent.output.suffix(1500))")
        #expect(try await harness.session.task(id: task).status == .stopped)
        try expectKilledThreeSecondsAfterTerm(harness.root)
    }

    @Test func sigtermToTheAgentDoesTheSameAndReportsStopped() async throws {
        let harness = try await AgentHarness.start()
        defer { Task { await harness.stop() } }
        let task = try await harness.createTask(["entry_point": "main.py", "binary": "python3", "diff": .string(Self.stubbornScript(harness.root))])
        try await harness.enqueue(task)
        let agent = try AgentProcess(harness, ["execute", "--id", task, "--require-queue"], env: ["CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL": "1"])
        try await harness.waitForConsole(task, containing: "script started")
        agent.signal(SIGTERM)
        #expect(try await agent.exitCode(within: .seconds(60)) == 0, "\(agent.output.suffix(1500))")
        let stopped = try await harness.session.task(id: task)
        #expect(stopped.status == .stopped)
        #expect(stopped.statusReason?.contains("SIGTERM") == true, "\(stopped.statusReason ?? "")")
        try expectKilledThreeSecondsAfterTerm(harness.root)
    }
}
