import JSONValue

/// One queue the glue serves, with what its pods look like (the per-queue part upstream keeps for its
/// Enterprise edition).
public struct ServedQueue: Sendable, Equatable {
    public var name: String
    public var pod: QueuePodSettings
    public var maxPods: Int?

    public init(name: String, pod: QueuePodSettings = QueuePodSettings(), maxPods: Int? = nil) {
        self.name = name
        self.pod = pod
        self.maxPods = maxPods
    }
}

/// Leader election on a `coordination.k8s.io/v1` Lease, with client-go's default timings.
public struct LeaderElectionSettings: Sendable, Equatable {
    public var leaseName = "clearml-glue"
    public var namespace: String
    public var identity: String
    public var leaseDuration: Duration = .seconds(15)
    public var renewDeadline: Duration = .seconds(10)
    public var retryPeriod: Duration = .seconds(2)

    public init(namespace: String, identity: String) {
        self.namespace = namespace
        self.identity = identity
    }
}

/// Everything the running controller needs, resolved once at start from flags, environment and
/// clearml.conf by the command line; the controller itself reads no environment.
public struct GlueConfiguration: Sendable {
    public var workerID: String
    public var queues: [ServedQueue]
    public var createQueues = false
    public var orderFairness = false
    public var pendingQueueName = "k8s_scheduler"
    public var pendingQueueTags = ["k8s-glue"]
    public var maxPods: Int?
    /// The pod template every queue without its own uses (already merged with `--overrides-yaml`).
    public var baseTemplate: JSONValue?
    /// Where the base template and each queue's settings came from, for error messages
    /// (`--template-yaml /etc/glue/pod.yaml`, `--queue-config /etc/glue/queues.yaml queues.gpu`).
    public var baseTemplateSource = "the built-in pod template"
    public var queueSources: [String: String] = [:]
    public var render: PodRenderSettings
    public var policy = PodDecisionPolicy()
    /// Namespaces whose pods the monitor watches (the glue's, plus any a template names).
    public var namespaces: [String]
    /// One ClearML call per idle tick whatever the number of queues (issue #15: <= 4 idle calls/s in all, the
    /// worker report and the reconciler included; dispatch p50 about half of it).
    public var idlePollInterval: Duration = .milliseconds(300)
    /// Pod creates per second, and the burst allowed after a quiet spell.
    public var createRate: Double = 250
    public var createBurst = 500
    /// Tasks dispatched at the same time (each is a few ClearML calls and one create).
    public var dispatchConcurrency = 16
    public var reconcileInterval: Duration = .seconds(30)
    /// How often the monitor refreshes the ClearML status of the tasks its pods run (one batched call).
    public var taskStatusInterval: Duration = .seconds(1)
    public var workerReportInterval: Duration = .seconds(30)
    /// Reported with the worker (`CLEARML_WORKER_TAGS`), after `k8s-glue`.
    public var workerTags: [String] = []
    public var leaderElection: LeaderElectionSettings?
    /// `--uptime` / `--downtime`: when new tasks are taken.
    public var schedule: WorkSchedule?
    /// `host:port` for `/metrics`, `/healthz`, `/readyz`; nil serves nothing.
    public var metricsAddress: (host: String, port: Int)?

    public init(workerID: String, queues: [ServedQueue], render: PodRenderSettings, namespaces: [String]) {
        self.workerID = workerID
        self.queues = queues
        self.render = render
        self.namespaces = namespaces
    }

    public func queue(named name: String) -> ServedQueue? { queues.first { $0.name == name } }

    /// The selector of this glue's pods (`CLEARML=agent-<hash of worker id>`).
    public var podSelector: String { "CLEARML=\(KubernetesNames.agentLabel(workerID: workerID))" }
}
