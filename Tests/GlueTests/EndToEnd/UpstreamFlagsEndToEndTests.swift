import ClearMLAPI
import Foundation
import Glue
import GlueTestSupport
import JSONValue
import KubeAPI
import Testing

/// Upstream glue flags through the built binary, on the embedded server and cluster: `--gpus` and `--cpu-only`
/// (upstream clearml_agent/interface/worker.py), an upstream chart's credentials Secret (only `agentk8sglue_key`
/// and `agentk8sglue_secret`, charts/clearml-agent templates/clearml-secrets.yaml) read by task pods through
/// `--credentials-access-key-name` / `--credentials-secret-key-name`, and `daemon --stop` (worker.py `_kill_daemon`:
/// find the daemon by worker id, terminate it).
@Suite(.serialized, .timeLimit(.minutes(10))) struct UpstreamFlagsEndToEndTests {
    /// The Secret of an upstream clearml-agent release: the two keys its chart writes, nothing else.
    func upstreamSecret(_ h: GlueHarness) async throws {
        try await createIfAbsent(h.kube, .secrets, namespace: "clearml", [
            "metadata": ["name": "clearml-credentials", "namespace": "clearml"],
            "stringData": ["agentk8sglue_key": .string(h.server.accessKey), "agentk8sglue_secret": .string(h.server.secretKey)],
        ])
    }

    func scriptTask(_ h: GlueHarness, _ name: String, queue: String, script: String, container: JSONValue? = nil) async throws -> String {
        var fields: JSONValue = ["name": .string(name), "type": "training",
                                 "script": ["entry_point": "main.py", "binary": "python3", "diff": .string(script)]]
        if let container { fields["container"] = container }
        let task = try await h.session.createTask(fields)
        _ = try await h.session.enqueue(task: task, queue: try #require(try await h.session.resolveQueue(queue)).id)
        return task
    }

    func console(_ h: GlueHarness, _ task: String) async throws -> String {
        try await h.session.taskLog(task: task).events.compactMap { $0["msg"]?.stringValue }.joined()
    }

    func completed(_ h: GlueHarness, _ task: String) async throws {
        _ = try await h.eventually("task \(task) ends", timeout: .seconds(90)) { () -> String? in
            let status = try await h.task(task)["status"]?.stringValue ?? ""
            return ["completed", "failed", "stopped"].contains(status) ? status : nil
        }
        let document = try await h.task(task)
        #expect(document["status"]?.stringValue == "completed", "\(document.encodedString())")
    }

    @Test func gpusAndAnUpstreamSecretRunATaskWithTwoGPUsAndTheUpstreamKeys() async throws {
        try await GlueHarness.with(cluster: { $0.gpus = 2 }) { h in
            try await upstreamSecret(h)
            _ = try await h.ensureQueue("work")
            let directory = try scratch("gpus")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let glue = try GlueProcess(harness: h, queues: ["work"], directory: directory, extra: [
                "--credentials-access-key-name", "agentk8sglue_key", "--credentials-secret-key-name", "agentk8sglue_secret", "--gpus", "0,1",
            ])
            try await showingLogs([glue]) {
                let task = try await scriptTask(h, "gpus", queue: "work", script: "import time\nprint('ran with the upstream keys')\ntime.sleep(2)\n")
                let pod = try await h.eventually("the task's pod") { try await h.pod(for: task) }
                let container = try #require(pod.value(at: "spec.containers")?.arrayValue?.first)
                #expect(container.value(at: "resources.limits")?["nvidia.com/gpu"] == "2")
                let env = container["env"]?.arrayValue ?? []
                let keys = env.compactMap { $0.value(at: "valueFrom.secretKeyRef.key")?.stringValue }
                #expect(Set(keys) == ["agentk8sglue_key", "agentk8sglue_secret"])
                #expect(!pod.encodedString().contains(h.server.secretKey))
                // The agent in the pod logged in with the keys read under the upstream names.
                try await completed(h, task)
                #expect(try await console(h, task).contains("ran with the upstream keys"))
            }
            glue.kill(SIGTERM)
            #expect(await glue.waitForExit())
        }
    }

    @Test func cpuOnlyRunsATaskThatAsksForAGPUWithoutOne() async throws {
        try await GlueHarness.with(cluster: { $0.gpus = 0 }) { h in
            _ = try await h.agentConfiguration(queues: ["work"])  // the credentials Secret, default key names
            _ = try await h.ensureQueue("work")
            let directory = try scratch("cpu-only")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let glue = try GlueProcess(harness: h, queues: ["work"], directory: directory, extra: ["--cpu-only"])
            try await showingLogs([glue]) {
                // On a node without GPUs a pod asking for one would stay Pending: --cpu-only must not ask.
                let task = try await scriptTask(h, "cpu", queue: "work",
                                                script: "import os\nprint('visible devices:', os.environ.get('NVIDIA_VISIBLE_DEVICES'))\n",
                                                container: ["image": "python:3.11-slim", "arguments": "--gpus 1"])
                let pod = try await h.eventually("the task's pod") { try await h.pod(for: task) }
                let container = try #require(pod.value(at: "spec.containers")?.arrayValue?.first)
                #expect(container.value(at: "resources.limits")?["nvidia.com/gpu"] == nil)
                try await completed(h, task)
                #expect(try await console(h, task).contains("visible devices: none"))
            }
            glue.kill(SIGTERM)
            #expect(await glue.waitForExit())
        }
    }

    @Test func gpusAndCpuOnlyTogetherAreRefusedAtStart() async throws {
        try await GlueHarness.with { h in
            let directory = try scratch("gpus-cpu")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let glue = try GlueProcess(harness: h, queues: ["work"], directory: directory, extra: ["--gpus", "1", "--cpu-only"])
            #expect(await glue.waitForExit())
            #expect(glue.process.terminationStatus != 0)
            #expect(glue.log.contains("give --gpus or --cpu-only, not both"), "\(glue.log.suffix(2000))")
            let bad = try GlueProcess(harness: h, queues: ["work"], directory: directory, extra: ["--gpus", "two"], name: "bad")
            #expect(await bad.waitForExit())
            #expect(bad.log.contains("--gpus 'two'"), "\(bad.log.suffix(2000))")
        }
    }

    /// `clearml-glue daemon --stop [WORKER...]`, run as a user would (same machine or container, same settings).
    func daemonStop(_ h: GlueHarness, pidDirectory: String, _ workers: [String] = []) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try GlueBinary.path())
        process.arguments = ["daemon", "--stop"] + workers + ["--stop-timeout", "30"]
        process.environment = [
            "HOME": pidDirectory, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "CLEARML_API_HOST": h.server.baseURL, "CLEARML_API_ACCESS_KEY": h.server.accessKey, "CLEARML_API_SECRET_KEY": h.server.secretKey,
            "CLEARML_WORKER_ID": "glue-e2e", "CLEARML_GLUE_PID_DIR": pidDirectory,
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func registered(_ h: GlueHarness, _ worker: String) async throws -> Bool {
        try await h.session.workers(lastSeen: 0).contains { $0.id == worker }
    }

    @Test func daemonStopStopsTheGlueByItsWorkerIdAndUnregistersIt() async throws {
        try await GlueHarness.with { h in
            _ = try await h.agentConfiguration(queues: ["work"])
            let directory = try scratch("stop")
            let pids = directory + "/pids"
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let environment = ["CLEARML_GLUE_PID_DIR": pids]

            // A running glue: SIGTERM through its record, it ends cleanly and is no longer a worker.
            let glue = try GlueProcess(harness: h, queues: ["work"], directory: directory, environment: environment)
            try await showingLogs([glue]) {
                try await glue.waitUntilReady()
                _ = try await h.eventually("the glue's worker is registered") { try await registered(h, "glue-e2e") ? true : nil }
                let stop = try daemonStop(h, pidDirectory: pids)
                #expect(stop.status == 0, "\(stop.output)")
                #expect(stop.output.contains("Terminating clearml-glue worker_id=glue-e2e pid=\(glue.process.processIdentifier)"), "\(stop.output)")
                #expect(await glue.waitForExit(timeout: .seconds(5)))
                #expect(glue.process.terminationReason == .exit && glue.process.terminationStatus == 0, "the glue did not end cleanly: \(glue.log.suffix(2000))")
                #expect(try await registered(h, "glue-e2e") == false)
                #expect(GluePidFileProbe.files(pids).isEmpty)
            }

            // A glue killed with -9 leaves its record and its registration: --stop clears both.
            let killed = try GlueProcess(harness: h, queues: ["work"], directory: directory, name: "killed", environment: environment)
            try await showingLogs([killed]) {
                try await killed.waitUntilReady()
                _ = try await h.eventually("the second glue's worker is registered") { try await registered(h, "glue-e2e") ? true : nil }
                #expect(GluePidFileProbe.files(pids).count == 1)
                killed.kill(SIGKILL)
                #expect(await killed.waitForExit())
                #expect(try await registered(h, "glue-e2e"))
                let stop = try daemonStop(h, pidDirectory: pids, ["glue-e2e"])
                #expect(stop.status == 0, "\(stop.output)")
                #expect(stop.output.contains("no longer running") && stop.output.contains("unregistered"), "\(stop.output)")
                #expect(try await registered(h, "glue-e2e") == false)
                #expect(GluePidFileProbe.files(pids).isEmpty)
            }

            // Nothing left: said so, exit code 1 (as upstream's "Could not find a running clearml-agent instance").
            let nothing = try daemonStop(h, pidDirectory: pids)
            #expect(nothing.status == 1 && nothing.output.contains("Could not find a running clearml-glue with worker_id=glue-e2e"), "\(nothing.output)")
        }
    }
}

/// The records `daemon --stop` reads (the glue's `GluePidFile`, one `<pid>.json` per running glue).
enum GluePidFileProbe {
    static func files(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }
    }
}
