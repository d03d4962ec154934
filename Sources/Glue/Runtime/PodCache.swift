import Foundation
import JSONValue
import KubeAPI

/// What changed about one task's pod; `pod` is nil when the pod is gone.
public struct PodChange: Sendable {
    public var taskID: String
    public var pod: JSONValue?
    /// The last state of a pod that is gone (its labels say which queue it served).
    public var lastSeen: JSONValue?
}

/// The controller's view of its pods, indexed by task id and fed by one list+watch per namespace.
/// Capacity is read from here (never from a LIST per loop), and the monitor is woken by its changes.
public actor PodCache {
    private var pods: [String: JSONValue] = [:]
    private var syncedNamespaces: Set<String> = []
    private let namespaces: Set<String>
    /// When each container was first seen waiting for its current reason, by "task/container/reason".
    private var waitingSince: [String: ContinuousClock.Instant] = [:]
    private var finishedSince: [String: ContinuousClock.Instant] = [:]
    /// Pods just created whose first watch event has not arrived: they hold their slot already.
    private var expected: [String: (queue: String, since: ContinuousClock.Instant)] = [:]
    private var capacityWaiters: [CheckedContinuation<Void, Never>] = []
    /// When each task's pod left the cache: the pod monitor decides what a removal means (requeue, fail),
    /// so the reconciler leaves such a task alone for a while instead of racing the monitor.
    private var removedAt: [String: ContinuousClock.Instant] = [:]
    public nonisolated let changes: AsyncStream<PodChange>
    private let continuation: AsyncStream<PodChange>.Continuation

    public init(namespaces: [String]) {
        self.namespaces = Set(namespaces)
        (changes, continuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    public var isSynced: Bool { syncedNamespaces.isSuperset(of: namespaces) }
    public var count: Int { pods.count }
    public func pod(task: String) -> JSONValue? { pods[task] }
    public func all() -> [String: JSONValue] { pods }

    /// Pods that still take a slot (pending or running, not being deleted), by the queue id label.
    public func livePodsByQueue() -> [String: Int] {
        var counts: [String: Int] = [:]
        for pod in pods.values where Self.isLive(pod) {
            counts[pod[path: "metadata", "labels", "clearml-agent-queue"]?.stringValue ?? "", default: 0] += 1
        }
        let now = ContinuousClock.now
        expected = expected.filter { pods[$0.key] == nil && now - $0.value.since < .seconds(30) }
        for entry in expected.values { counts[entry.queue, default: 0] += 1 }
        return counts
    }

    /// A pod was created for this task: count it until the watch shows it.
    public func expect(task: String, queue: String) {
        if pods[task] == nil { expected[task] = (queue, .now) }
    }

    public func podsByPhase() -> [String: Int] {
        var counts: [String: Int] = [:]
        for pod in pods.values { counts[pod[path: "status", "phase"]?.stringValue ?? "Pending", default: 0] += 1 }
        return counts
    }

    /// Read on every scheduling round for every pod: plain field lookups, no timestamp parsing.
    static func isLive(_ pod: JSONValue) -> Bool {
        guard pod[path: "metadata", "deletionTimestamp"] == nil else { return false }
        let phase = pod[path: "status", "phase"]?.stringValue ?? "Pending"
        return phase == "Pending" || phase == "Running"
    }

    /// Suspends until a pod finishes or disappears (a slot may have freed), or `timeout` passes.
    public func waitForCapacityChange(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForChange() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
            self.wakeWaiters()
        }
    }

    /// Suspends until the task's pod is out of the cache (deleted), or `timeout` passes.
    public func waitForRemoval(task: String, timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while pods[task] != nil, ContinuousClock.now < deadline {
            await waitForCapacityChange(timeout: deadline - ContinuousClock.now)
        }
    }

    private func waitForChange() async {
        await withCheckedContinuation { capacityWaiters.append($0) }
    }

    private func wakeWaiters() {
        let waiters = capacityWaiters
        capacityWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    /// How long a container has waited for this reason (the kubelet does not say).
    public func waitingDuration(task: String, container: String, reason: String, now: ContinuousClock.Instant) -> Duration {
        let key = "\(task)/\(container)/\(reason)"
        if let since = waitingSince[key] { return now - since }
        waitingSince[key] = now
        return .zero
    }

    public func finishedDuration(task: String, now: ContinuousClock.Instant) -> Duration {
        if let since = finishedSince[task] { return now - since }
        finishedSince[task] = now
        return .zero
    }

    /// Feeds one namespace's reflector events into the cache until the stream ends.
    public func consume(namespace: String, events: AsyncStream<WatchEvent<JSONValue>>) async {
        for await event in events {
            switch event {
            case .relisted(let objects):
                var fresh: [String: JSONValue] = [:]
                for pod in objects { if let task = Self.taskID(pod) { fresh[task] = pod } }
                for (task, old) in pods where Self.namespace(old) == namespace && fresh[task] == nil {
                    remove(task, lastSeen: old)
                }
                for (task, pod) in fresh { put(task, pod) }
                syncedNamespaces.insert(namespace)
            case .added(let pod), .modified(let pod):
                if let task = Self.taskID(pod) { put(task, pod) }
            case .deleted(let pod):
                if let task = Self.taskID(pod), let current = pods[task], Self.namespace(current) == namespace { remove(task, lastSeen: pod) }
            case .bookmark:
                break
            }
        }
    }

    private func put(_ task: String, _ pod: JSONValue) {
        let wasLive = pods[task].map(Self.isLive) ?? false
        pods[task] = pod
        if wasLive && !Self.isLive(pod) { wakeWaiters() }
        continuation.yield(PodChange(taskID: task, pod: pod, lastSeen: pod))
    }

    /// Whether the task's pod left the cache within `window` (seen by this process's watch).
    public func podRemoved(task: String, within window: Duration, now: ContinuousClock.Instant = .now) -> Bool {
        guard let at = removedAt[task] else { return false }
        return now - at < window
    }

    private func remove(_ task: String, lastSeen: JSONValue) {
        let now = ContinuousClock.now
        removedAt = removedAt.filter { now - $0.value < Self.removalMemory }
        removedAt[task] = now
        pods.removeValue(forKey: task)
        waitingSince = waitingSince.filter { !$0.key.hasPrefix(task + "/") }
        finishedSince.removeValue(forKey: task)
        wakeWaiters()
        continuation.yield(PodChange(taskID: task, pod: nil, lastSeen: lastSeen))
    }

    /// How long a removal is remembered: longer than any window a caller asks about.
    static let removalMemory = Duration.seconds(300)

    static func taskID(_ pod: JSONValue) -> String? { pod[path: "metadata", "labels", "clearml-task-id"]?.stringValue }
    static func namespace(_ pod: JSONValue) -> String { pod[path: "metadata", "namespace"]?.stringValue ?? "" }

    /// Keeps only what the controller reads of a pod (client-go transform): metadata and status.
    public static let slim: @Sendable (JSONValue) -> JSONValue = { pod in
        var slim: JSONValue = ["apiVersion": pod["apiVersion"] ?? "v1", "kind": pod["kind"] ?? "Pod"]
        var metadata: JSONValue = [:]
        for key in ["name", "namespace", "uid", "resourceVersion", "labels", "creationTimestamp", "deletionTimestamp"] {
            if let value = pod[path: "metadata", key] { metadata[key] = value }
        }
        slim["metadata"] = metadata
        if let status = pod["status"] { slim["status"] = status }
        return slim
    }
}
