import Foundation

/// What the monitor knows about one of its pods at one moment: the pod as the watch last showed it (or
/// its absence), and its task's status on the ClearML server. The monitor fills it from the cache; the
/// decision is a pure function of it.
public struct PodObservation: Sendable, Equatable {
    public enum Phase: String, Sendable { case pending = "Pending", running = "Running", succeeded = "Succeeded", failed = "Failed", unknown = "Unknown", gone }

    public struct Waiting: Sendable, Equatable {
        public var container: String
        public var reason: String
        public var message: String?
        /// How long the container has been waiting for this reason (the monitor tracks first sight).
        public var duration: Duration

        public init(container: String, reason: String, message: String? = nil, duration: Duration = .zero) {
            self.container = container
            self.reason = reason
            self.message = message
            self.duration = duration
        }
    }

    public var taskID: String
    public var podName: String
    public var phase: Phase
    /// Pod-level `status.reason`/`message` (Evicted, DeadlineExceeded, NodeLost...).
    public var reason: String?
    public var message: String?
    /// `PodScheduled=False` with its reason and message.
    public var unschedulable: (reason: String, message: String)?
    public var waiting: [Waiting]
    /// How a container ended: the task container (exit code and reason, e.g. 137 OOMKilled), or the init
    /// container that failed first. `message` is the termination message: what the agent wrote to its
    /// termination log (a refused claim says why), or the log tail under `FallbackToLogsOnError`.
    public struct Termination: Sendable, Equatable {
        public var container: String
        public var exitCode: Int
        public var reason: String?
        public var message: String?
        public var initContainer: Bool

        public init(container: String = "task", exitCode: Int, reason: String? = nil, message: String? = nil, initContainer: Bool = false) {
            self.container = container
            self.exitCode = exitCode
            self.reason = reason
            self.message = message
            self.initContainer = initContainer
        }
    }

    public var terminated: Termination?
    /// The task is queued in a queue other than the glue's pending queue: someone (a user, another glue)
    /// put it back, so a pod that ends before claiming it is no reason to fail it.
    public var taskQueuedElsewhere = false
    /// Time since the pod finished, for the cleanup delay.
    public var finishedAgo: Duration?
    public var recentWarnings: [String]
    public var taskStatus: String
    /// The pending message last written to the task, so only changes are sent.
    public var lastReportedMessage: String?
    /// Time since the task reached a final status while its pod still exists.
    public var taskFinalFor: Duration

    public init(taskID: String, podName: String, phase: Phase, taskStatus: String) {
        self.taskID = taskID
        self.podName = podName
        self.phase = phase
        self.taskStatus = taskStatus
        self.waiting = []
        self.recentWarnings = []
        self.taskFinalFor = .zero
    }

    public static func == (lhs: PodObservation, rhs: PodObservation) -> Bool {
        lhs.taskID == rhs.taskID && lhs.podName == rhs.podName && lhs.phase == rhs.phase && lhs.reason == rhs.reason
            && lhs.message == rhs.message && lhs.unschedulable?.reason == rhs.unschedulable?.reason
            && lhs.unschedulable?.message == rhs.unschedulable?.message && lhs.waiting == rhs.waiting
            && lhs.terminated == rhs.terminated && lhs.taskQueuedElsewhere == rhs.taskQueuedElsewhere
            && lhs.finishedAgo == rhs.finishedAgo && lhs.recentWarnings == rhs.recentWarnings && lhs.taskStatus == rhs.taskStatus
            && lhs.lastReportedMessage == rhs.lastReportedMessage && lhs.taskFinalFor == rhs.taskFinalFor
    }
}
