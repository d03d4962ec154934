import Foundation
import Glue
import JSONValue
import KubeAPI
import Testing

/// Job mode (`CLEARML_K8S_GLUE_KIND=job`): each task runs as a `batch/v1` Job whose pod the embedded
/// cluster's Job controller creates, with the real agent inside. A task's life looks as in pod mode
/// (AgentAbortEndToEndTests, ControllerLaunchTests): completed, stopped and failed tasks end so in ClearML,
/// their Job and its pod go, and `maxPods` counts the Jobs' pods. Upstream (clearml-agent
/// `clearml_agent/glue/k8s.py`: the kind switch, `backoffLimit` 0, cleanup deleting the Job rather than
/// its pod) is the reference for what Job mode does.
@Suite(.serialized, .timeLimit(.minutes(5))) struct JobModeEndToEndTests {
    /// The agent configuration with Job mode on; the pod-level template moves under `spec.template`.
    static func jobConfiguration(_ h: GlueHarness, queues: [String]) async throws -> GlueConfiguration {
        var configuration = try await h.agentConfiguration(queues: queues)
        configuration.render.kind = .job
        configuration.baseTemplate = ["kind": "Job", "spec": ["template": ["spec": ["terminationGracePeriodSeconds": 2]]]]
        return configuration
    }

    static func job(_ h: GlueHarness, for task: String) async throws -> JSONValue? {
        try await h.kube.list(.jobs, namespace: "clearml", options: ListOptions(labelSelector: "clearml-task-id=\(task)")).items.first
    }

    static func status(_ h: GlueHarness, _ task: String) async throws -> String {
        try await h.task(task)["status"]?.stringValue ?? ""
    }

    /// The task's pod exists and is the Job's (so the test exercises Job mode, not a bare pod).
    static func expectOwnedByJob(_ h: GlueHarness, task: String) async throws {
        let job = try #require(try await job(h, for: task), "no Job for task \(task)")
        let pod = try #require(try await h.pod(for: task), "no pod for task \(task)")
        let owner = pod[path: "metadata", "ownerReferences"]?.arrayValue?.first
        #expect(owner?["kind"]?.stringValue == "Job")
        #expect(owner?["uid"]?.stringValue == job[path: "metadata", "uid"]?.stringValue)
        #expect(job["apiVersion"]?.stringValue == "batch/v1")
    }

    static func waitGone(_ h: GlueHarness, _ task: String) async throws {
        _ = try await h.eventually("the Job is gone", timeout: .seconds(30)) { try await job(h, for: task) == nil ? true : nil }
        _ = try await h.eventually("the Job's pod is gone", timeout: .seconds(30)) { try await h.pod(for: task) == nil ? true : nil }
    }

    @Test func completedTaskEndsCompletedAndItsJobAndPodGo() async throws {
        try await GlueHarness.with { h in
            _ = try await h.ensureQueue("cpu")
            try await h.running(try await Self.jobConfiguration(h, queues: ["cpu"])) { _, _ in
                let task = try await h.enqueueScriptTask("job ok", queue: "cpu", script: "import time\nprint('job task ran', flush=True)\ntime.sleep(1)\n")
                _ = try await h.eventually("the Job's pod", timeout: .seconds(60)) { try await h.pod(for: task) }
                try await Self.expectOwnedByJob(h, task: task)
                _ = try await h.eventually("completed", timeout: .seconds(90)) { try await Self.status(h, task) == "completed" ? true : nil }
                // Pod mode deletes a completed pod at once (completedPodDeletionDelay 0); Job mode deletes its Job.
                try await Self.waitGone(h, task)
                let log = try await h.session.taskLog(task: task).events.compactMap { $0["msg"]?.stringValue }
                #expect(log.contains { $0.contains("job task ran") })
            }
        }
    }

    @Test func abortWhileRunningEndsStoppedAndRemovesTheJob() async throws {
        try await GlueHarness.with { h in
            _ = try await h.ensureQueue("cpu")
            try await h.running(try await Self.jobConfiguration(h, queues: ["cpu"])) { _, _ in
                let script = "import time\nprint('long job started', flush=True)\nwhile True:\n    time.sleep(0.1)\n"
                let task = try await h.enqueueScriptTask("job long", queue: "cpu", script: script)
                _ = try await h.eventually("the script runs", timeout: .seconds(60)) { () -> Bool? in
                    let log = try await h.session.taskLog(task: task).events.compactMap { $0["msg"]?.stringValue }
                    return log.contains { $0.contains("long job started") } ? true : nil
                }
                try await Self.expectOwnedByJob(h, task: task)
                _ = try await h.session.stop(task: task)
                _ = try await h.eventually("stopped", timeout: .seconds(30)) { try await Self.status(h, task) == "stopped" ? true : nil }
                try await Self.waitGone(h, task)
            }
        }
    }

    @Test func failingScriptEndsFailedWithItsReasonAndTheJobGoes() async throws {
        try await GlueHarness.with { h in
            _ = try await h.ensureQueue("cpu")
            try await h.running(try await Self.jobConfiguration(h, queues: ["cpu"])) { _, _ in
                let task = try await h.enqueueScriptTask("job fails", queue: "cpu", script: "print('about to fail', flush=True)\nraise SystemExit(3)\n")
                let failed = try await h.eventually("failed", timeout: .seconds(90)) { () -> JSONValue? in
                    let document = try await h.task(task)
                    return document["status"]?.stringValue == "failed" ? Optional.some(document) : Optional.none
                }
                // The agent's reason, as in pod mode (AgentTests: "worker execution exit code 3").
                #expect(failed["status_reason"]?.stringValue == "worker execution exit code 3", "\(failed)")
                // The agent exits 0 after reporting the failure (upstream: the pod does not reflect the task),
                // so the Job completes and goes as a completed one does; it is not retried (backoffLimit 0).
                try await Self.waitGone(h, task)
                let log = try await h.session.taskLog(task: task).events.compactMap { $0["msg"]?.stringValue }
                #expect(log.contains { $0.contains("about to fail") })
                #expect(try await Self.status(h, task) == "failed")
            }
        }
    }

    /// With the pod's exit code reflecting the task, the pod ends Failed: pod mode keeps a failed pod for
    /// `failedPodDeletionDelay` (1 h by default) for `kubectl logs`, so Job mode keeps the Job and its one
    /// pod, and the Job controller does not run the task again (backoffLimit 0).
    @Test func failedPodKeepsItsJobForTheFailedPodRetentionAndIsNotRetried() async throws {
        try await GlueHarness.with { h in
            _ = try await h.ensureQueue("cpu")
            var configuration = try await Self.jobConfiguration(h, queues: ["cpu"])
            configuration.render.extraEnvironment.append((name: "CLEARML_K8S_GLUE_POD_EXIT_CODE_REFLECTS_TASK", value: "1"))
            try await h.running(configuration) { _, _ in
                let task = try await h.enqueueScriptTask("job pod fails", queue: "cpu", script: "raise SystemExit(5)\n")
                _ = try await h.eventually("the Job failed", timeout: .seconds(90)) { () -> Bool? in
                    let conditions = try await Self.job(h, for: task)?[path: "status", "conditions"]?.arrayValue ?? []
                    return conditions.contains { $0["type"]?.stringValue == "Failed" && $0["status"]?.stringValue == "True" } ? true : nil
                }
                #expect(try await Self.status(h, task) == "failed")
                #expect(try await h.task(task)["status_reason"]?.stringValue == "worker execution exit code 5")
                // Several monitor rounds (reconcileInterval 300 ms) later the Job and its single pod are still there.
                try await Task.sleep(for: .seconds(3))
                let job = try #require(try await Self.job(h, for: task), "the failed Job was deleted before the failed-pod retention")
                #expect(job[path: "status", "failed"]?.intValue == 1)
                let pods = try await h.kube.list(.pods, namespace: "clearml", options: ListOptions(labelSelector: "clearml-task-id=\(task)")).items
                #expect(pods.count == 1 && pods.first?[path: "status", "phase"]?.stringValue == "Failed", "\(pods.map { $0[path: "status", "phase"] })")
            }
        }
    }

    @Test func maxPodsCountsTheJobsPods() async throws {
        try await GlueHarness.with { h in
            _ = try await h.ensureQueue("cpu")
            var configuration = try await Self.jobConfiguration(h, queues: ["cpu"])
            configuration.maxPods = 1
            try await h.running(configuration) { _, _ in
                let first = try await h.enqueueScriptTask("job first", queue: "cpu", script: "import time\nprint('first', flush=True)\ntime.sleep(4)\n")
                _ = try await h.eventually("the first task runs", timeout: .seconds(60)) { try await Self.status(h, first) == "in_progress" ? true : nil }
                let second = try await h.enqueueScriptTask("job second", queue: "cpu", script: "print('second ran', flush=True)\n")
                var sawWaiting = false
                _ = try await h.eventually("the first task completed", timeout: .seconds(90)) { () -> Bool? in
                    // Read the second's Job before the first's pod: a second Job that existed while the first's
                    // pod was still live (it cannot become live again) broke maxPods 1.
                    let secondJob = try await Self.job(h, for: second)
                    let firstPod = try await h.pod(for: first)
                    let firstLive = firstPod.map { !["Succeeded", "Failed"].contains($0[path: "status", "phase"]?.stringValue ?? "Pending") } ?? false
                    if firstLive {
                        if secondJob != nil { Issue.record("a second Job was created while the first Job's pod ran (maxPods 1)") }
                        else { sawWaiting = true }
                    }
                    return try await Self.status(h, first) == "completed" ? true : nil
                }
                #expect(sawWaiting, "the second task was never seen waiting while the first Job's pod ran")
                _ = try await h.eventually("the second task completed", timeout: .seconds(90)) { try await Self.status(h, second) == "completed" ? true : nil }
                for task in [first, second] { try await Self.waitGone(h, task) }
            }
        }
    }
}
