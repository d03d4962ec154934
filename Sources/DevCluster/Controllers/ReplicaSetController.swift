import Foundation
import JSONValue
import KubeAPI

/// `apps/v1` ReplicaSets: keeps `spec.replicas` active pods from `spec.template` (owned by the ReplicaSet,
/// named `<replicaset>-xxxxx`), deleting the surplus (not-ready and newest first), and writes `status`
/// (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration). Simplified from
/// k8s pkg/controller/replicaset/replica_set.go: no adoption of orphans, `minReadySeconds` not waited.
final class ReplicaSetController: Sendable {
    private let store: ObjectStore
    private let kubelet: Kubelet
    private let loop = ReconcileLoop()

    init(store: ObjectStore, kubelet: Kubelet) {
        self.store = store
        self.kubelet = kubelet
    }

    func start() async {
        await loop.start(store: store, watching: [.replicaSets, .pods], relevant: { event in
            event.resource == .replicaSets || ReconcileLoop.controller(of: event.object)?["kind"] == "ReplicaSet"
        }, pass: { [weak self] in await self?.pass() })
    }

    func stop() { loop.stop() }

    private func pass() async {
        let sets = await store.all(.replicaSets)
        guard !sets.isEmpty else { return }
        let owned = OwnedPods.byController(await store.all(.pods), kind: "ReplicaSet")
        for set in sets {
            await sync(set, pods: owned[set[path: "metadata", "uid"]?.stringValue ?? ""] ?? [])
        }
    }

    private func sync(_ set: JSONValue, pods: [JSONValue]) async {
        let namespace = set[path: "metadata", "namespace"]?.stringValue ?? "default"
        let name = set[path: "metadata", "name"]?.stringValue ?? ""
        let active = pods.filter(OwnedPods.isActive)
        if set[path: "metadata", "deletionTimestamp"] == nil {
            let desired = Int(set[path: "spec", "replicas"]?.intValue ?? 1)
            if active.count < desired {
                for _ in active.count..<desired {
                    await OwnedPods.create(from: set[path: "spec", "template"] ?? [:], owner: set, ownerKind: "ReplicaSet",
                                           ownerAPIVersion: "apps/v1", store: store, kubelet: kubelet)
                }
            } else if active.count > desired {
                // pkg/controller/controller_utils.go ActivePods ordering, simplified: unscheduled, then not
                // ready, then the most recently created go first.
                let ranked = active.sorted { a, b in
                    let ra = OwnedPods.isReady(a), rb = OwnedPods.isReady(b)
                    if ra != rb { return !ra }
                    return (a[path: "metadata", "creationTimestamp"]?.stringValue ?? "") > (b[path: "metadata", "creationTimestamp"]?.stringValue ?? "")
                }
                for pod in ranked.prefix(active.count - desired) {
                    _ = try? await kubelet.delete(pod, gracePeriodSeconds: nil)
                }
            }
        }
        let ready = active.filter(OwnedPods.isReady).count
        var status = set["status"] ?? [:]
        status["replicas"] = .int(Int64(active.count))
        status["fullyLabeledReplicas"] = active.isEmpty ? nil : .int(Int64(active.count))
        status["readyReplicas"] = ready == 0 ? nil : .int(Int64(ready))
        status["availableReplicas"] = ready == 0 ? nil : .int(Int64(ready))
        status["observedGeneration"] = set[path: "metadata", "generation"] ?? 1
        guard status != (set["status"] ?? [:]) else { return }
        let newStatus = status
        _ = try? await store.mutate(.replicaSets, namespace: namespace, name: name) { current in
            var current = current
            current["status"] = newStatus
            return current
        }
    }
}
