/// What the monitor does about a pod, decided from its observation alone (level-triggered: the same
/// observation always gives the same actions, whatever event led to it).
public enum PodAction: Sendable, Equatable {
    /// Write the pending reason to the task (`status_message`) and its console.
    case reportPending(String)
    case deletePod(reason: String)
    /// Fail the task with this reason (forced: the task may still be queued).
    case failTask(reason: String)
    /// Put the task back at the front of its queue: the pod was lost before the agent took the task.
    case requeueTask(reason: String)
}

public struct PodDecisionPolicy: Sendable, Equatable {
    public var pendingRules = PendingReasonRules.defaults
    /// Re-enqueue a task whose pod vanished before its agent started (upstream's preemption rule).
    public var requeueOnPreemption = true
    /// `K8S_GLUE_COMPLETED_POD_DELETION_DELAY_MINUTES`.
    public var completedPodDeletionDelay: Duration = .zero
    /// Failed pods may be kept longer, for `kubectl logs` and `describe`.
    public var failedPodDeletionDelay: Duration = .seconds(3600)
    /// How long an agent gets to stop a running task after an abort before its pod is deleted.
    public var abortGrace: Duration = .seconds(60)
    /// How long a finished pod may leave its task unfinished (status updates in flight) before failing it.
    public var finishGrace: Duration = .seconds(30)
    /// How often one task may lose its pod and be re-enqueued before it fails instead (a node that keeps
    /// evicting it, a pod deleted again and again).
    public var maxRequeues = 3

    public init() {}
}

public enum PodDecision {
    static let finalStatuses: Set<String> = ["stopped", "failed", "completed", "published", "publishing", "closed"]

    /// The injected agent's exit code for a refused claim (`AgentExitCode.claimRefused` in the Agent
    /// module, which the glue does not link; the README's exit-code table is the contract).
    static let agentRefusedClaimExitCode = 3

    public static func decide(_ pod: PodObservation, policy: PodDecisionPolicy) -> [PodAction] {
        let taskFinal = finalStatuses.contains(pod.taskStatus)
        switch pod.phase {
        case .pending:
            if taskFinal { return [.deletePod(reason: "task \(pod.taskStatus) while its pod was pending")] }
            return pending(pod, policy: policy)
        case .running, .unknown:
            if taskFinal && pod.taskFinalFor >= policy.abortGrace {
                return [.deletePod(reason: "task \(pod.taskStatus) \(pod.taskFinalFor) ago but its pod is still running")]
            }
            return []
        case .succeeded, .failed:
            if taskFinal {
                // A pod whose agent refused the claim because the task was aborted before the agent took it
                // ran nothing of the task: nothing in it to inspect, so it goes like a completed pod. (A claim
                // refused for another reason fails the task, and that pod stays for `kubectl logs`.)
                let abortedBeforeClaim = pod.taskStatus == "stopped" && pod.phase == .failed
                    && pod.terminated.map { !$0.initContainer && $0.exitCode == agentRefusedClaimExitCode } == true
                let delay = pod.phase == .succeeded || abortedBeforeClaim
                    ? policy.completedPodDeletionDelay : max(policy.completedPodDeletionDelay, policy.failedPodDeletionDelay)
                return (pod.finishedAgo ?? .zero) >= delay ? [.deletePod(reason: "finished (\(pod.phase.rawValue))")] : []
            }
            if pod.taskStatus == "in_progress", (pod.finishedAgo ?? .zero) < policy.finishGrace { return [] }
            // Queued again elsewhere (a user re-enqueued it, the agent refused a claim it had lost): not this
            // pod's task any more. Its name must be free for the next pod.
            if pod.taskQueuedElsewhere { return [.deletePod(reason: "\(podEnd(pod)); the task is queued again")] }
            let said = pod.terminated?.message.map { ": " + lastLines($0) } ?? ""
            // A pod that ran and ended before its agent took the task failed by itself (a wrong command,
            // an image without bash, a refused claim): running it again would fail again. Only eviction is
            // preemption. The pod stays for the failed-pod retention, for `kubectl logs` and `describe`.
            if pod.phase == .failed, pod.taskStatus == "queued", !preempted(pod) {
                return [.failTask(reason: "K8S glue error: \(podEnd(pod)) before the agent started the task\(said)")]
            }
            if pod.taskStatus == "queued" && policy.requeueOnPreemption {
                return [.deletePod(reason: podEnd(pod)), .requeueTask(reason: podEnd(pod))]
            }
            return [.failTask(reason: podEnd(pod) + said)]
        case .gone:
            if taskFinal { return [] }
            return lost(pod, policy: policy, why: pod.reason.map { "pod deleted (\($0))" } ?? "pod deleted")
        }
    }

    private static func pending(_ pod: PodObservation, policy: PodDecisionPolicy) -> [PodAction] {
        for waiting in pod.waiting {
            let text = describe(waiting.reason, waiting.message)
            if let rule = policy.pendingRules.rules[waiting.reason], waiting.duration >= rule.grace {
                switch rule.action {
                case .fail: return [.failTask(reason: "K8S glue error: \(text)"), .deletePod(reason: text)]
                case .retry: return [.deletePod(reason: text), .requeueTask(reason: "retrying after \(text)")]
                }
            }
        }
        let message: String?
        if let waiting = pod.waiting.first {
            message = describe(waiting.reason, waiting.message)
        } else if let unschedulable = pod.unschedulable {
            message = describe(unschedulable.reason, unschedulable.message)
        } else {
            message = pod.recentWarnings.last
        }
        guard let message, message != pod.lastReportedMessage else { return [] }
        return [.reportPending(message)]
    }

    /// The pod ended or vanished while the task was not finished: before the agent claimed it (the task is
    /// still queued in the pending queue) it is safe to run again; after, the run is lost and fails.
    private static func lost(_ pod: PodObservation, policy: PodDecisionPolicy, why: String) -> [PodAction] {
        if pod.taskStatus == "queued" && policy.requeueOnPreemption { return [.requeueTask(reason: why)] }
        return [.failTask(reason: why)]
    }

    /// Pod-level reasons the kubelet or scheduler give when they, not the pod, ended it.
    static let preemptionReasons: Set<String> = ["Evicted", "Preempting", "NodeLost", "Shutdown", "NodeShutdown", "Terminated", "DeadlineExceeded"]

    private static func preempted(_ pod: PodObservation) -> Bool {
        pod.reason.map(preemptionReasons.contains) ?? false
    }

    private static func podEnd(_ pod: PodObservation) -> String {
        var text = "pod \(pod.phase.rawValue.lowercased())"
        if let reason = pod.reason { text += ": " + describe(reason, pod.message) }
        if let terminated = pod.terminated {
            let place = terminated.initContainer ? "init container \(terminated.container) " : ""
            text += " (\(place)exit code \(terminated.exitCode)" + (terminated.reason.map { ", \($0)" } ?? "") + ")"
        }
        return text
    }

    /// The end of a termination message, short enough for a status reason.
    static func lastLines(_ message: String, limit: Int = 400) -> String {
        let lines = message.split(separator: "\n", omittingEmptySubsequences: true).suffix(3).joined(separator: " | ")
        return lines.count > limit ? "..." + String(lines.suffix(limit)) : lines
    }

    static func describe(_ reason: String, _ message: String?) -> String {
        guard let message, !message.isEmpty else { return reason }
        return "\(reason) (\(message))"
    }
}
