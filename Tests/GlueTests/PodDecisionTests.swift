import JSONValue
import Testing
@testable import Glue

@Suite struct PodDecisionTests {
    let policy = PodDecisionPolicy()

    func pod(_ phase: PodObservation.Phase, task: String = "queued", _ configure: (inout PodObservation) -> Void = { _ in }) -> PodObservation {
        var observation = PodObservation(taskID: "t1", podName: "clearml-id-t1", phase: phase, taskStatus: task)
        configure(&observation)
        return observation
    }

    @Test func unschedulableReasonIsReportedOnceUntilItChanges() {
        let message = "0/1 nodes are available: 1 Insufficient nvidia.com/gpu."
        let first = pod(.pending) { $0.unschedulable = ("Unschedulable", message) }
        #expect(PodDecision.decide(first, policy: policy) == [.reportPending("Unschedulable (\(message))")])
        let again = pod(.pending) { $0.unschedulable = ("Unschedulable", message); $0.lastReportedMessage = "Unschedulable (\(message))" }
        #expect(PodDecision.decide(again, policy: policy).isEmpty)
    }

    @Test(arguments: [
        ("ImagePullBackOff", 179, false), ("ImagePullBackOff", 180, true), ("ErrImagePull", 200, true),
        ("InvalidImageName", 0, true), ("CreateContainerConfigError", 0, true), ("ContainerCreating", 10_000, false),
    ])
    func waitingReasonsFailAfterTheirGrace(reason: String, seconds: Int, fails: Bool) {
        let observation = pod(.pending) { $0.waiting = [.init(container: "main", reason: reason, message: "detail", duration: .seconds(seconds))] }
        let actions = PodDecision.decide(observation, policy: policy)
        if fails {
            #expect(actions == [.failTask(reason: "K8S glue error: \(reason) (detail)"), .deletePod(reason: "\(reason) (detail)")])
        } else {
            #expect(actions == [.reportPending("\(reason) (detail)")])
        }
    }

    @Test func abortWhilePendingDeletesThePodAndLeavesTheTaskStopped() {
        #expect(PodDecision.decide(pod(.pending, task: "stopped"), policy: policy) == [.deletePod(reason: "task stopped while its pod was pending")])
    }

    @Test func aRunningPodGetsAGraceToStopAfterAnAbort() {
        #expect(PodDecision.decide(pod(.running, task: "stopped") { $0.taskFinalFor = .seconds(10) }, policy: policy).isEmpty)
        #expect(PodDecision.decide(pod(.running, task: "stopped") { $0.taskFinalFor = .seconds(61) }, policy: policy).count == 1)
        #expect(PodDecision.decide(pod(.running, task: "in_progress"), policy: policy).isEmpty)
    }

    @Test func podLostBeforeTheClaimIsRequeuedOrFailedAsConfigured() {
        let evicted = pod(.failed) { $0.reason = "Evicted"; $0.message = "The node was low on resource: memory." }
        // The pod goes first: the next pod of the task needs its name.
        #expect(PodDecision.decide(evicted, policy: policy) == [
            .deletePod(reason: "pod failed: Evicted (The node was low on resource: memory.)"),
            .requeueTask(reason: "pod failed: Evicted (The node was low on resource: memory.)"),
        ])
        var noRequeue = policy
        noRequeue.requeueOnPreemption = false
        #expect(PodDecision.decide(pod(.gone), policy: noRequeue) == [.failTask(reason: "pod deleted")])
        #expect(PodDecision.decide(pod(.gone), policy: policy) == [.requeueTask(reason: "pod deleted")])
    }

    @Test func podLostAfterTheClaimFailsTheTaskWithTheExitReasonAndKeepsThePod() {
        let brokenCommand = pod(.failed) { $0.terminated = .init(exitCode: 127, reason: "Error"); $0.finishedAgo = .seconds(1) }
        // Failed pods stay for the failed-pod retention (kubectl logs/describe); the next round deletes them
        // once the task is failed and the delay has passed.
        #expect(PodDecision.decide(brokenCommand, policy: policy) == [
            .failTask(reason: "K8S glue error: pod failed (exit code 127, Error) before the agent started the task"),
        ])
        let oom = pod(.failed, task: "in_progress") { $0.terminated = .init(exitCode: 137, reason: "OOMKilled"); $0.finishedAgo = .seconds(31) }
        #expect(PodDecision.decide(oom, policy: policy) == [.failTask(reason: "pod failed (exit code 137, OOMKilled)")])
        let justEnded = pod(.failed, task: "in_progress") { $0.terminated = .init(exitCode: 1, reason: "Error"); $0.finishedAgo = .seconds(2) }
        #expect(PodDecision.decide(justEnded, policy: policy).isEmpty)  // the agent's own report may still be on its way
        #expect(PodDecision.decide(pod(.gone, task: "in_progress"), policy: policy) == [.failTask(reason: "pod deleted")])
    }

    @Test func aRefusedClaimGivesTheAgentsReason() {
        let refused = pod(.failed) {
            $0.terminated = .init(exitCode: 3, reason: "Error", message: "task t1 is not queued (status stopped); --require-queue only runs queued tasks")
            $0.finishedAgo = .seconds(1)
        }
        #expect(PodDecision.decide(refused, policy: policy) == [
            .failTask(reason: "K8S glue error: pod failed (exit code 3, Error) before the agent started the task: task t1 is not queued (status stopped); --require-queue only runs queued tasks"),
        ])
        let initFailed = pod(.failed) {
            $0.terminated = .init(container: "clearml-agent-install", exitCode: 1, reason: "Error",
                                  message: "cp: preserving times for '/clearml-agent/.': Operation not permitted", initContainer: true)
        }
        #expect(PodDecision.decide(initFailed, policy: policy) == [
            .failTask(reason: "K8S glue error: pod failed (init container clearml-agent-install exit code 1, Error) before the agent started the task: cp: preserving times for '/clearml-agent/.': Operation not permitted"),
        ])
    }

    /// Aborted while its pod was running but before the agent claimed it: the agent refuses the claim and the
    /// pod fails. It ran nothing of the task, so it is not kept for the failed-pod retention (an hour).
    @Test func aPodWhoseAgentRefusedTheClaimOfAnAbortedTaskIsNotKept() {
        let refused = pod(.failed, task: "stopped") {
            $0.terminated = .init(exitCode: 3, reason: "Error", message: "task t1 is not queued (status stopped)")
            $0.finishedAgo = .seconds(1)
        }
        #expect(PodDecision.decide(refused, policy: policy) == [.deletePod(reason: "finished (Failed)")])
        let ran = pod(.failed, task: "stopped") { $0.terminated = .init(exitCode: 1, reason: "Error"); $0.finishedAgo = .seconds(1) }
        #expect(PodDecision.decide(ran, policy: policy).isEmpty)
        let initExitThree = pod(.failed, task: "stopped") {
            $0.terminated = .init(container: "clearml-agent-install", exitCode: 3, reason: "Error", initContainer: true)
            $0.finishedAgo = .seconds(1)
        }
        #expect(PodDecision.decide(initExitThree, policy: policy).isEmpty)
        let refusedAndFailed = pod(.failed, task: "failed") { $0.terminated = .init(exitCode: 3, reason: "Error"); $0.finishedAgo = .seconds(1) }
        #expect(PodDecision.decide(refusedAndFailed, policy: policy).isEmpty, "a claim refused for another reason keeps its pod")
    }

    @Test func aTaskQueuedAgainElsewhereIsNotFailedByItsOldPod() {
        let old = pod(.failed) { $0.terminated = .init(exitCode: 3, reason: "Error", message: "not queued any more"); $0.taskQueuedElsewhere = true }
        #expect(PodDecision.decide(old, policy: policy) == [.deletePod(reason: "pod failed (exit code 3, Error); the task is queued again")])
    }

    @Test func finishedPodsAreDeletedAfterTheirDelay() {
        var delayed = policy
        delayed.completedPodDeletionDelay = .seconds(300)
        #expect(PodDecision.decide(pod(.succeeded, task: "completed") { $0.finishedAgo = .seconds(299) }, policy: delayed).isEmpty)
        #expect(PodDecision.decide(pod(.succeeded, task: "completed") { $0.finishedAgo = .seconds(300) }, policy: delayed) == [.deletePod(reason: "finished (Succeeded)")])
        #expect(PodDecision.decide(pod(.succeeded, task: "completed") { $0.finishedAgo = .zero }, policy: policy).count == 1)
        #expect(PodDecision.decide(pod(.failed, task: "failed") { $0.finishedAgo = .seconds(600) }, policy: policy).isEmpty)
        #expect(PodDecision.decide(pod(.gone, task: "completed"), policy: policy).isEmpty)
    }
}

@Suite struct PendingReasonRulesTests {
    @Test func upstreamStyleListFailsAtOnceAndExtendedFormCarriesGraceAndAction() throws {
        let rules = try PendingReasonRules.parse(["ImagePullBackOff", "CrashLoopBackOff=90s:retry", "ErrImagePull=5m"])
        #expect(rules.rules["ImagePullBackOff"] == .init(grace: .zero, action: .fail))
        #expect(rules.rules["CrashLoopBackOff"] == .init(grace: .seconds(90), action: .retry))
        #expect(rules.rules["ErrImagePull"] == .init(grace: .seconds(300), action: .fail))
        #expect(rules.rules["InvalidImageName"] == nil)
    }

    @Test(arguments: ["Bad-Reason", "X=soon", "X=3m:explode", "=3m"])
    func malformedRulesNameTheVariable(word: String) {
        #expect {
            _ = try PendingReasonRules.parse([word])
        } throws: { error in
            "\(error)".hasPrefix("K8S_GLUE_POD_MONITOR_EVICTION_REASONS: '\(word)'")
        }
    }
}

@Suite struct OwnConfSecretRaceTests {
    /// kubelet's message (k/k pkg/kubelet/volumemanager: `MountVolume.SetUp failed for volume "<name>" : ...`).
    @Test func onlyTheGluesOwnConfVolumeIsIgnored() {
        let own: JSONValue = ["reason": "FailedMount", "message": "MountVolume.SetUp failed for volume \"clearml-pod-conf\" : secret \"clearml-id-t1-conf\" not found"]
        let users: JSONValue = ["reason": "FailedMount", "message": "MountVolume.SetUp failed for volume \"data\" : secret \"data\" not found"]
        #expect(PodMonitor.isOwnConfSecretRace(own))
        #expect(!PodMonitor.isOwnConfSecretRace(users))
        #expect(!PodMonitor.isOwnConfSecretRace(["reason": "FailedScheduling", "message": "volume \"clearml-pod-conf\""]))
    }
}
