import ClearMLAPI
import JSONValue
import KubeAPI
import Logging

/// A served queue with its server id.
public struct QueueRef: Sendable, Equatable, Hashable {
    public var name: String
    public var id: String
    public init(name: String, id: String) {
        self.name = name
        self.id = id
    }
}

/// What the controller's parts share: the two API clients, the configuration, the resolved queues,
/// metrics and the pod cache. Immutable once the controller starts.
public struct GlueContext: Sendable {
    public let configuration: GlueConfiguration
    public let session: ClearMLSession
    public let kube: KubeClient
    public let cache: PodCache
    public let metrics: GlueMetrics
    public let queues: [QueueRef]
    public let pendingQueueID: String
    public let logger: Logger
    public let health: Health
    let inFlight = InFlightTasks()
    let outbox: ConsoleOutbox

    public init(configuration: GlueConfiguration, session: ClearMLSession, kube: KubeClient, cache: PodCache, metrics: GlueMetrics,
                queues: [QueueRef], pendingQueueID: String, logger: Logger) {
        self.health = Health(cache: cache)
        self.configuration = configuration
        self.session = session
        self.kube = kube
        self.cache = cache
        self.metrics = metrics
        self.queues = queues
        self.pendingQueueID = pendingQueueID
        self.logger = logger
        outbox = ConsoleOutbox(session: session, logger: logger)
    }

    func queue(id: String) -> QueueRef? { queues.first { $0.id == id } }
    func queue(name: String) -> QueueRef? { queues.first { $0.name == name } }

    /// Queues lines for the task's console in ClearML (sent in batches; the glue's own log has them too).
    func console(_ task: String, _ lines: String..., level: String = "info") async {
        await outbox.add(lines.map { LogEvent(task: task, message: $0, level: level, worker: configuration.workerID) })
    }

    /// Records a Kubernetes Event on a pod, so `kubectl describe pod` tells what the glue decided.
    func recordEvent(on pod: JSONValue, type: String = "Normal", reason: String, message: String) async {
        do { try await kube.recordEvent(about: pod, type: type, reason: reason, message: message) } catch {
            logger.debug("could not record a pod event", metadata: ["pod": "\(PodView(pod).name)", "error": "\(error)"])
        }
    }
}

/// Tasks between "taken off a queue" and "pod exists": the reconciler leaves them alone.
actor InFlightTasks {
    private var tasks: Set<String> = []
    func insert(_ task: String) { tasks.insert(task) }
    func remove(_ task: String) { tasks.remove(task) }
    func contains(_ task: String) -> Bool { tasks.contains(task) }
}
