import JSONValue
import Foundation
import KubeAPI

/// The single node: binds pods that fit (the scheduler's job) and runs them (the kubelet's).
/// Pods that do not fit wait with `PodScheduled=False, Unschedulable`, and are retried when resources free up.
actor Kubelet {
    static let nodeName = "devcluster"
    let capacity: NodeCapacity
    private let store: ObjectStore
    private let dataDirectory: String
    private let failImagePattern: String?
    private let imageRoots: ImageRootTable
    private let events: EventRecorder
    private var workers: [String: PodWorker] = [:]
    private var allocations: [String: ResourceRequest] = [:]
    /// Unschedulable pods in arrival order.
    private var waiting: [String] = []
    /// Mints the ServiceAccount tokens of projected volumes (the API server's TokenRequest machinery).
    private var tokenIssuer: ProjectedVolumes.TokenIssuer?

    init(store: ObjectStore, capacity: NodeCapacity, dataDirectory: String, failImagePattern: String?, imageRoots: ImageRootTable = .empty) {
        self.store = store
        self.capacity = capacity
        self.dataDirectory = dataDirectory
        self.failImagePattern = failImagePattern
        self.imageRoots = imageRoots
        self.events = EventRecorder(store: store, nodeName: Self.nodeName)
    }

    static func key(_ pod: JSONValue) -> String {
        "\(pod[path: "metadata", "namespace"]?.stringValue ?? "")/\(pod[path: "metadata", "name"]?.stringValue ?? "")"
    }

    var used: ResourceRequest { allocations.values.reduce(ResourceRequest(), +) }

    func useTokenIssuer(_ issuer: @escaping ProjectedVolumes.TokenIssuer) { tokenIssuer = issuer }

    /// Called after a pod was stored.
    func admit(_ pod: JSONValue) async {
        let key = Self.key(pod)
        let request = ResourceRequest.of(pod: pod)
        if let message = capacity.unschedulableMessage(request: request, used: used) {
            if !waiting.contains(key) { waiting.append(key) }
            let namespace = pod[path: "metadata", "namespace"]?.stringValue
            let name = pod[path: "metadata", "name"]?.stringValue ?? ""
            let already = pod[path: "status", "conditions"]?.arrayValue?.contains { $0["reason"]?.stringValue == "Unschedulable" && $0["message"]?.stringValue == message } ?? false
            if !already {
                let updated = try? await store.mutate(.pods, namespace: namespace, name: name) { current in
                    var current = current
                    current[path: "status", "phase"] = "Pending"
                    PodStatus.setCondition(&current, "PodScheduled", false, reason: "Unschedulable", message: message)
                    return current
                }
                await events.record(updated ?? pod, type: "Warning", reason: "FailedScheduling", message: message, component: "default-scheduler")
            }
            return
        }
        waiting.removeAll { $0 == key }
        allocations[key] = request
        let namespace = pod[path: "metadata", "namespace"]?.stringValue ?? "default"
        let name = pod[path: "metadata", "name"]?.stringValue ?? ""
        guard let bound = try? await store.mutate(.pods, namespace: namespace, name: name, { current in
            var current = current
            current[path: "spec", "nodeName"] = .string(Self.nodeName)
            current[path: "status", "phase"] = "Pending"
            PodStatus.setCondition(&current, "PodScheduled", true)
            return current
        }) else {
            allocations.removeValue(forKey: key)
            return
        }
        await events.record(bound, reason: "Scheduled", message: "Successfully assigned \(namespace)/\(name) to \(Self.nodeName)", component: "default-scheduler")
        let worker = PodWorker(
            pod: bound, dataDirectory: dataDirectory, store: store, events: events, failImagePattern: failImagePattern, imageRoots: imageRoots,
            onFinish: { [weak self] in await self?.finished(key) })
        workers[key] = worker
        if let problem = await ProjectedVolumes.materialize(pod: bound, sandbox: worker.sandbox, store: store, issueToken: tokenIssuer) {
            await events.record(bound, type: "Warning", reason: "FailedMount", message: problem)
        }
        await worker.start(bound)
    }

    /// A pod's containers all ended: its resources return to the node and waiting pods get another try.
    private func finished(_ key: String) async {
        guard allocations.removeValue(forKey: key) != nil else { return }
        await retryWaiting()
    }

    private func retryWaiting() async {
        for key in waiting {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, let pod = await store.get(.pods, namespace: parts[0], name: parts[1]) else {
                waiting.removeAll { $0 == key }
                continue
            }
            await admit(pod)
        }
    }

    /// Graceful delete: mark the pod terminating, SIGTERM, SIGKILL after the grace period, then remove it.
    /// Pods that run nothing (unscheduled, finished, image-pull failures) go at once, as the kubelet
    /// confirms their deletion immediately.
    func delete(_ pod: JSONValue, gracePeriodSeconds: Int?) async throws(APIError) -> JSONValue {
        let key = Self.key(pod)
        let namespace = pod[path: "metadata", "namespace"]?.stringValue ?? "default"
        let name = pod[path: "metadata", "name"]?.stringValue ?? ""
        let grace = gracePeriodSeconds ?? Int(pod[path: "spec", "terminationGracePeriodSeconds"]?.intValue ?? 30)
        guard let worker = workers[key], await !worker.currentProcesses.isEmpty, grace > 0 else {
            if let worker = workers.removeValue(forKey: key) { await worker.kill(); await worker.awaitRun(); worker.sandbox.remove() }
            waiting.removeAll { $0 == key }
            let removed = try await store.remove(.pods, namespace: namespace, name: name)
            if allocations.removeValue(forKey: key) != nil { await retryWaiting() }
            return removed
        }
        if pod[path: "metadata", "deletionTimestamp"] != nil { return pod }
        let marked = try await store.mutate(.pods, namespace: namespace, name: name) { current in
            var current = current
            current[path: "metadata", "deletionTimestamp"] = .string(KubeTime.format(Date().addingTimeInterval(Double(grace))))
            current[path: "metadata", "deletionGracePeriodSeconds"] = .int(Int64(grace))
            return current
        }
        for cname in await worker.currentProcesses.keys.sorted() {
            await events.record(marked, reason: "Killing", message: "Stopping container \(cname)", fieldPath: "spec.containers{\(cname)}")
        }
        Task {
            await worker.terminate(gracePeriod: .seconds(grace))
            await self.forget(key, worker: worker)
            _ = try? await store.remove(.pods, namespace: namespace, name: name)
        }
        return marked
    }

    private func forget(_ key: String, worker: PodWorker) async {
        if workers[key] === worker { workers.removeValue(forKey: key) }
        worker.sandbox.remove()
        if allocations.removeValue(forKey: key) != nil { await retryWaiting() }
    }

    func logPath(namespace: String, name: String, container: String, restart: Int) -> String? {
        workers["\(namespace)/\(name)"]?.sandbox.logPath(container: container, restart: restart)
    }

    func isRunning(namespace: String, name: String, container: String) async -> Bool {
        await workers["\(namespace)/\(name)"]?.isRunning(container) ?? false
    }

    /// Cluster stop: kill every process group now and wait for the workers to notice.
    func stopAll() async {
        for (_, worker) in workers { await worker.kill() }
        for (_, worker) in workers { await worker.awaitRun() }
        workers.removeAll()
    }
}
