import Foundation
import JSONValue
import KubeAPI

/// kube-controller-manager's garbage collector, for the owner references objects here carry (a Deployment's
/// ReplicaSets, a ReplicaSet's or a Job's pods, anything a client made an owner): an object whose owners are
/// all gone is deleted (background propagation, the default); an owner deleted in the foreground (marked
/// with the `foregroundDeletion` finalizer) keeps existing until every dependent is gone, dependents that
/// own others being deleted in the foreground in turn, then goes itself
/// (k8s pkg/controller/garbagecollector/garbagecollector.go `attemptToDeleteItem`, `processDeletingDependentsItem`).
/// Dangling references next to live owners are left as they are.
final class GarbageCollector: Sendable {
    static let foregroundFinalizer = "foregroundDeletion"
    private let store: ObjectStore
    private let kubelet: Kubelet
    private let loop = ReconcileLoop()

    init(store: ObjectStore, kubelet: Kubelet) {
        self.store = store
        self.kubelet = kubelet
    }

    /// Every kind that can own or be owned.
    static var kinds: [ResourceType] { ServedResource.all.map(\.type).filter { $0 != .events && $0 != .nodes } }

    func start() async {
        await loop.start(store: store, watching: Self.kinds, resync: .seconds(10), relevant: { event in
            switch event.kind {
            // An owner went, or a dependent did (maybe the last one a foreground deletion waits for). Bare pods
            // (the glue's task pods) own nothing and belong to nothing: their churn costs no pass.
            case .deleted: event.resource != .pods || ReconcileLoop.hasOwners(event.object)
            case .modified: Self.isDeletingInForeground(event.object)
            case .added: false
            }
        }, pass: { [weak self] in await self?.pass() })
    }

    func stop() { loop.stop() }

    static func isDeletingInForeground(_ object: JSONValue) -> Bool {
        object[path: "metadata", "deletionTimestamp"] != nil
            && (object[path: "metadata", "finalizers"]?.arrayValue ?? []).contains(.string(foregroundFinalizer))
    }

    private struct Item {
        var type: ResourceType
        var object: JSONValue
        var uid: String { object[path: "metadata", "uid"]?.stringValue ?? "" }
        var owners: [String] { (object[path: "metadata", "ownerReferences"]?.arrayValue ?? []).compactMap { $0["uid"]?.stringValue } }
        var deleting: Bool { object[path: "metadata", "deletionTimestamp"] != nil }
    }

    private func pass() async {
        var items: [Item] = []
        for type in Self.kinds { items += await store.all(type).map { Item(type: type, object: $0) } }
        let live = Set(items.map(\.uid))
        let foreground = Set(items.filter { Self.isDeletingInForeground($0.object) }.map(\.uid))
        var dependents: [String: Int] = [:]
        for item in items { for owner in item.owners { dependents[owner, default: 0] += 1 } }

        for item in items where !item.owners.isEmpty && !item.deleting {
            let remaining = item.owners.filter { live.contains($0) && !foreground.contains($0) }
            guard remaining.isEmpty else { continue }
            // Dependents of a foreground deletion that own others are deleted in the foreground too, so
            // the first owner waits for the whole tree.
            let inForeground = item.owners.contains(where: foreground.contains) && (dependents[item.uid] ?? 0) > 0
            await delete(item, foreground: inForeground)
        }
        for item in items where foreground.contains(item.uid) && (dependents[item.uid] ?? 0) == 0 {
            await finishForeground(item)
        }
    }

    private func delete(_ item: Item, foreground: Bool) async {
        let namespace = item.object[path: "metadata", "namespace"]?.stringValue
        let name = item.object[path: "metadata", "name"]?.stringValue ?? ""
        // Re-read: the pass works on a snapshot, and a pod must be deleted from its current state.
        guard let current = await store.get(item.type, namespace: namespace, name: name),
              current[path: "metadata", "uid"]?.stringValue == item.uid, current[path: "metadata", "deletionTimestamp"] == nil else { return }
        if item.type == .pods {
            _ = try? await kubelet.delete(current, gracePeriodSeconds: nil)
        } else if foreground {
            _ = try? await store.mutate(item.type, namespace: namespace, name: name) { object in
                var object = object
                object[path: "metadata", "deletionTimestamp"] = .string(KubeTime.format(Date()))
                object[path: "metadata", "deletionGracePeriodSeconds"] = 0
                let finalizers = object[path: "metadata", "finalizers"]?.arrayValue ?? []
                object[path: "metadata", "finalizers"] = .array(finalizers + [.string(Self.foregroundFinalizer)])
                return object
            }
        } else {
            _ = try? await store.remove(item.type, namespace: namespace, name: name)
        }
    }

    /// No dependent left: the `foregroundDeletion` finalizer comes off, and with no other finalizer the
    /// object goes.
    private func finishForeground(_ item: Item) async {
        let namespace = item.object[path: "metadata", "namespace"]?.stringValue
        let name = item.object[path: "metadata", "name"]?.stringValue ?? ""
        let finalizers = (item.object[path: "metadata", "finalizers"]?.arrayValue ?? []).filter { $0 != .string(Self.foregroundFinalizer) }
        if finalizers.isEmpty {
            _ = try? await store.remove(item.type, namespace: namespace, name: name)
        } else {
            _ = try? await store.mutate(item.type, namespace: namespace, name: name) { object in
                var object = object
                object[path: "metadata", "finalizers"] = .array(finalizers)
                return object
            }
        }
    }

    /// `propagationPolicy: Orphan`: dependents keep existing without the reference to `uid`.
    static func orphanDependents(of uid: String, store: ObjectStore) async {
        guard !uid.isEmpty else { return }
        for type in kinds {
            for object in await store.all(type) {
                let references = object[path: "metadata", "ownerReferences"]?.arrayValue ?? []
                guard references.contains(where: { $0["uid"]?.stringValue == uid }) else { continue }
                _ = try? await store.mutate(type, namespace: object[path: "metadata", "namespace"]?.stringValue,
                                            name: object[path: "metadata", "name"]?.stringValue ?? "") { current in
                    var current = current
                    let kept = (current[path: "metadata", "ownerReferences"]?.arrayValue ?? []).filter { $0["uid"]?.stringValue != uid }
                    current[path: "metadata", "ownerReferences"] = kept.isEmpty ? nil : .array(kept)
                    return current
                }
            }
        }
    }
}
