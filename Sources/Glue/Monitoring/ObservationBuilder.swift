import Foundation
import JSONValue
import KubeAPI

/// Builds the monitor's view of a pod from its cached object (pure: times are passed in).
enum ObservationBuilder {
    struct TaskState: Sendable, Equatable {
        var status: String
        var statusMessage: String?
        /// `execution.queue`: which queue a queued task waits in.
        var queue: String?
    }

    static func observe(
        taskID: String, pod: JSONValue?, lastSeen: JSONValue?, task: TaskState, lastReported: String?,
        waitingFor: (String, String) -> Duration, finishedFor: Duration?, taskFinalFor: Duration, pendingQueue: String? = nil
    ) -> PodObservation {
        let view = PodView(pod ?? lastSeen ?? [:])
        let phase: PodObservation.Phase = pod == nil ? .gone : (PodObservation.Phase(rawValue: view.phase) ?? .unknown)
        var observation = PodObservation(taskID: taskID, podName: view.name, phase: phase, taskStatus: task.status)
        observation.reason = view.reason
        observation.message = view.message
        observation.lastReportedMessage = lastReported
        observation.taskFinalFor = taskFinalFor
        if let scheduled = view.condition("PodScheduled"), scheduled.status == "False" {
            observation.unschedulable = (scheduled.reason ?? "Unschedulable", scheduled.message ?? "")
        }
        for status in view.initContainerStatuses + view.containerStatuses {
            if case .waiting(let reason?, let message) = status.state, !["PodInitializing", "ContainerCreating"].contains(reason) {
                observation.waiting.append(.init(container: status.name, reason: reason, message: message, duration: waitingFor(status.name, reason)))
            }
        }
        // The task container's end, or the init container that failed before it could start.
        let failedInit = view.initContainerStatuses.first {
            if case .terminated(let code, _, _, _) = $0.state { return code != 0 }
            return false
        }
        let mainEnded = view.containerStatuses.first.flatMap { status -> PodView.ContainerStatus? in
            if case .terminated = status.state { return status }
            return nil
        }
        if let ended = mainEnded ?? failedInit, case .terminated(let code, let reason, let message, _) = ended.state {
            let text = message?.trimmingCharacters(in: .whitespacesAndNewlines)
            observation.terminated = PodObservation.Termination(
                container: ended.name, exitCode: code, reason: reason, message: text?.isEmpty == false ? text : nil,
                initContainer: mainEnded == nil)
        }
        if let queue = task.queue, task.status == "queued", let pendingQueue, queue != pendingQueue {
            observation.taskQueuedElsewhere = true
        }
        if phase == .succeeded || phase == .failed { observation.finishedAgo = finishedFor ?? .zero }
        return observation
    }
}
