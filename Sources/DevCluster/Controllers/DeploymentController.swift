import Foundation
import JSONValue
import KubeAPI

/// `apps/v1` Deployments, the way kube-controller-manager's deployment controller rolls them out
/// (k8s pkg/controller/deployment: sync.go, recreate.go, rolling.go, progress.go; simplified):
/// - the pod template has one ReplicaSet, named `<deployment>-<pod-template-hash>`, whose template and
///   selector carry the `pod-template-hash` label; a changed template gets a new ReplicaSet (revision + 1);
/// - `Recreate`: old ReplicaSets are scaled to 0 and the new one is scaled up only once their pods are
///   gone; `RollingUpdate`: the new one grows within `maxSurge`, old ones shrink while `maxUnavailable`
///   allows; a change of `spec.replicas` alone scales the current ReplicaSet (`kubectl scale`);
/// - old ReplicaSets beyond `revisionHistoryLimit` are deleted once empty;
/// - `status`: observedGeneration, replicas, updatedReplicas, readyReplicas, availableReplicas,
///   unavailableReplicas, and the `Available` and `Progressing` conditions with upstream's reasons, which
///   `helm --wait` (Helm 3's readiness checks, Helm 4's kstatus) and `kubectl rollout status` read.
/// Not done: pausing (a paused Deployment only gets its status), rollback annotations, progress deadlines.
final class DeploymentController: Sendable {
    static let hashLabel = "pod-template-hash"
    static let revisionAnnotation = "deployment.kubernetes.io/revision"
    private let store: ObjectStore
    private let loop = ReconcileLoop()

    init(store: ObjectStore) {
        self.store = store
    }

    func start() async {
        await loop.start(store: store, watching: [.deployments, .replicaSets, .pods], relevant: { event in
            switch event.resource {
            case .deployments: true
            case .replicaSets: ReconcileLoop.controller(of: event.object)?["kind"] == "Deployment"
            // Recreate waits for the old pods to be gone, not just scaled away.
            default: event.kind == .deleted && ReconcileLoop.controller(of: event.object)?["kind"] == "ReplicaSet"
            }
        }, pass: { [weak self] in await self?.pass() })
    }

    func stop() { loop.stop() }

    private func pass() async {
        let deployments = await store.all(.deployments)
        guard !deployments.isEmpty else { return }
        var sets: [String: [JSONValue]] = [:]
        for set in await store.all(.replicaSets) {
            guard let owner = ReconcileLoop.controller(of: set), owner["kind"] == "Deployment", let uid = owner["uid"]?.stringValue else { continue }
            sets[uid, default: []].append(set)
        }
        let podsBySet = OwnedPods.byController(await store.all(.pods), kind: "ReplicaSet")
        for deployment in deployments where deployment[path: "metadata", "deletionTimestamp"] == nil {
            let owned = sets[deployment[path: "metadata", "uid"]?.stringValue ?? ""] ?? []
            await sync(deployment, sets: owned, podsBySet: podsBySet)
        }
    }

    private func sync(_ deployment: JSONValue, sets: [JSONValue], podsBySet: [String: [JSONValue]]) async {
        let desired = deployment[path: "spec", "replicas"]?.intValue ?? 1
        let template = deployment[path: "spec", "template"] ?? [:]
        var current = sets.first { Self.equalIgnoringHash($0[path: "spec", "template"] ?? [:], template) }
        let old = sets.filter { $0[path: "metadata", "uid"] != current?[path: "metadata", "uid"] }
        let paused = deployment[path: "spec", "paused"]?.boolValue == true
        var createdName: String?

        if !paused {
            if current == nil {
                let recreate = deployment[path: "spec", "strategy", "type"]?.stringValue == "Recreate"
                let oldReplicas = old.reduce(Int64(0)) { $0 + ($1[path: "spec", "replicas"]?.intValue ?? 0) }
                let (surge, _) = Self.rollingLimits(deployment, desired: desired)
                let initial = recreate ? 0 : (oldReplicas == 0 ? desired : max(0, min(desired, desired + surge - oldReplicas)))
                current = await createReplicaSet(for: deployment, replicas: initial, sets: sets)
                createdName = current?[path: "metadata", "name"]?.stringValue
            }
            if let set = current {
                if deployment[path: "spec", "strategy", "type"]?.stringValue == "Recreate" {
                    await recreate(deployment, new: set, old: old, desired: desired, podsBySet: podsBySet)
                } else {
                    await rollingUpdate(deployment, new: set, old: old, desired: desired)
                }
                await cleanUp(deployment, old: old)
            }
        }
        await writeStatus(deployment, new: current, sets: sets + (createdName == nil ? [] : current.map { [$0] } ?? []), createdName: createdName)
    }

    // MARK: - The new ReplicaSet

    /// The template without the `pod-template-hash` label equals the Deployment's
    /// (deploymentutil `EqualIgnoreHash`).
    static func equalIgnoringHash(_ a: JSONValue, _ b: JSONValue) -> Bool {
        func stripped(_ template: JSONValue) -> JSONValue {
            var template = template
            template[path: "metadata", "labels", hashLabel] = nil
            if template[path: "metadata", "labels"]?.objectValue?.isEmpty == true { template[path: "metadata", "labels"] = nil }
            return template
        }
        return stripped(a) == stripped(b)
    }

    /// FNV-32a of the template (with the collision count), written with the alphabet of
    /// apimachinery `rand.SafeEncodeString`, as `controller.ComputeHash` names ReplicaSets.
    static func templateHash(_ template: JSONValue, collisionCount: Int64 = 0) -> String {
        var hash: UInt32 = 2_166_136_261
        var bytes = template.encodedBytes()
        if collisionCount > 0 { bytes += Array(String(collisionCount).utf8) }
        for byte in bytes {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String(String(hash).unicodeScalars.map { alphabet[Int($0.value) % alphabet.count] })
    }

    private func createReplicaSet(for deployment: JSONValue, replicas: Int64, sets: [JSONValue]) async -> JSONValue? {
        let namespace = deployment[path: "metadata", "namespace"]?.stringValue ?? "default"
        let name = deployment[path: "metadata", "name"]?.stringValue ?? ""
        let template = deployment[path: "spec", "template"] ?? [:]
        var collisions = deployment[path: "status", "collisionCount"]?.intValue ?? 0
        var hash = Self.templateHash(template, collisionCount: collisions)
        while await store.get(.replicaSets, namespace: namespace, name: "\(name)-\(hash)") != nil {
            collisions += 1
            hash = Self.templateHash(template, collisionCount: collisions)
        }
        let revision = (sets.compactMap { Int64($0[path: "metadata", "annotations", Self.revisionAnnotation]?.stringValue ?? "") }.max() ?? 0) + 1
        var setTemplate = template
        setTemplate[path: "metadata", "labels", Self.hashLabel] = .string(hash)
        var selector = deployment[path: "spec", "selector"] ?? [:]
        selector[path: "matchLabels", Self.hashLabel] = .string(hash)
        var annotations = (deployment[path: "metadata", "annotations"]?.objectValue ?? [:])
            .filter { $0.key != "kubectl.kubernetes.io/last-applied-configuration" && $0.key != Self.revisionAnnotation }
        annotations[Self.revisionAnnotation] = .string(String(revision))
        annotations["deployment.kubernetes.io/desired-replicas"] = .string(String(deployment[path: "spec", "replicas"]?.intValue ?? 1))
        annotations["deployment.kubernetes.io/max-replicas"] = .string(String((deployment[path: "spec", "replicas"]?.intValue ?? 1) + Self.rollingLimits(deployment, desired: deployment[path: "spec", "replicas"]?.intValue ?? 1).surge))
        var set: JSONValue = [
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": [
                "name": .string("\(name)-\(hash)"), "namespace": .string(namespace),
                "labels": setTemplate[path: "metadata", "labels"] ?? [:], "annotations": .object(annotations),
                "ownerReferences": [[
                    "apiVersion": "apps/v1", "kind": "Deployment", "name": .string(name), "uid": deployment[path: "metadata", "uid"] ?? "",
                    "controller": true, "blockOwnerDeletion": true,
                ]],
            ],
            "spec": ["replicas": .int(replicas), "selector": selector, "template": setTemplate],
        ]
        if let minReady = deployment[path: "spec", "minReadySeconds"] { set[path: "spec", "minReadySeconds"] = minReady }
        set = Defaults.apply(set, type: .replicaSets, manager: "kube-controller-manager", operation: "Update")
        guard let stored = try? await store.insert(.replicaSets, set) else { return nil }
        let collisionCount = collisions
        _ = try? await store.mutate(.deployments, namespace: namespace, name: name) { current in
            var current = current
            current[path: "metadata", "annotations", Self.revisionAnnotation] = .string(String(revision))
            if collisionCount > 0 { current[path: "status", "collisionCount"] = .int(collisionCount) }
            return current
        }
        return stored
    }

    // MARK: - Strategies

    private func recreate(_ deployment: JSONValue, new: JSONValue, old: [JSONValue], desired: Int64, podsBySet: [String: [JSONValue]]) async {
        for set in old where (set[path: "spec", "replicas"]?.intValue ?? 0) > 0 {
            await scale(set, to: 0)
        }
        // Old pods must be gone, not only told to stop: two generations never run side by side.
        let oldPods = old.flatMap { podsBySet[$0[path: "metadata", "uid"]?.stringValue ?? ""] ?? [] }.filter {
            let phase = $0[path: "status", "phase"]?.stringValue ?? "Pending"
            return phase != "Succeeded" && phase != "Failed"
        }
        guard oldPods.isEmpty else { return }
        if new[path: "spec", "replicas"]?.intValue != desired { await scale(new, to: desired) }
    }

    private func rollingUpdate(_ deployment: JSONValue, new: JSONValue, old: [JSONValue], desired: Int64) async {
        let (surge, unavailable) = Self.rollingLimits(deployment, desired: desired)
        func replicas(_ set: JSONValue) -> Int64 { set[path: "spec", "replicas"]?.intValue ?? 0 }
        func available(_ set: JSONValue) -> Int64 { set[path: "status", "availableReplicas"]?.intValue ?? 0 }
        var newReplicas = replicas(new)
        let oldTotal = old.reduce(Int64(0)) { $0 + replicas($1) }
        // Scale up the new ReplicaSet within maxSurge (rolling.go reconcileNewReplicaSet, NewRSNewReplicas).
        if newReplicas > desired {
            newReplicas = desired
            await scale(new, to: desired)
        } else if newReplicas < desired {
            let room = desired + surge - (oldTotal + newReplicas)
            if room > 0 {
                newReplicas += min(room, desired - newReplicas)
                await scale(new, to: newReplicas)
            }
        }
        // Scale old ones down while availability allows (reconcileOldReplicaSets): unavailable old pods first.
        let minAvailable = desired - unavailable
        let newUnavailable = max(0, newReplicas - available(new))
        var budget = (oldTotal + newReplicas) - minAvailable - newUnavailable
        for set in old.sorted(by: { available($0) < available($1) }) where budget > 0 && replicas(set) > 0 {
            let cut = min(replicas(set), budget)
            await scale(set, to: replicas(set) - cut)
            budget -= cut
        }
    }

    /// `maxSurge` (rounded up) and `maxUnavailable` (rounded down) as counts; both 0 means 1 unavailable.
    static func rollingLimits(_ deployment: JSONValue, desired: Int64) -> (surge: Int64, unavailable: Int64) {
        func resolve(_ value: JSONValue?, roundUp: Bool) -> Int64 {
            switch value {
            case .int(let n): return n
            case .string(let text) where text.hasSuffix("%"):
                let percent = Double(text.dropLast()) ?? 25
                let exact = Double(desired) * percent / 100
                return Int64(roundUp ? exact.rounded(.up) : exact.rounded(.down))
            case .string(let text): return Int64(text) ?? 0
            default: return 0
            }
        }
        guard deployment[path: "spec", "strategy", "type"]?.stringValue != "Recreate" else { return (0, desired) }
        let rolling = deployment[path: "spec", "strategy", "rollingUpdate"]
        let surge = resolve(rolling?["maxSurge"] ?? "25%", roundUp: true)
        var unavailable = resolve(rolling?["maxUnavailable"] ?? "25%", roundUp: false)
        if surge == 0, unavailable == 0 { unavailable = 1 }
        return (surge, min(unavailable, desired))
    }

    private func scale(_ set: JSONValue, to replicas: Int64) async {
        _ = try? await store.mutate(.replicaSets, namespace: set[path: "metadata", "namespace"]?.stringValue,
                                    name: set[path: "metadata", "name"]?.stringValue ?? "") { current in
            var current = current
            guard current[path: "spec", "replicas"]?.intValue != replicas else { return nil }
            current[path: "spec", "replicas"] = .int(replicas)
            current[path: "metadata", "generation"] = .int((current[path: "metadata", "generation"]?.intValue ?? 1) + 1)
            current[path: "metadata", "annotations", "deployment.kubernetes.io/desired-replicas"] = .string(String(replicas))
            return current
        }
    }

    /// Old ReplicaSets with no replicas beyond `revisionHistoryLimit` (oldest first) go.
    private func cleanUp(_ deployment: JSONValue, old: [JSONValue]) async {
        let limit = Int(deployment[path: "spec", "revisionHistoryLimit"]?.intValue ?? 10)
        let empty = old.filter { ($0[path: "spec", "replicas"]?.intValue ?? 0) == 0 && ($0[path: "status", "replicas"]?.intValue ?? 0) == 0 }
            .sorted { Int($0[path: "metadata", "annotations", Self.revisionAnnotation]?.stringValue ?? "") ?? 0
                < Int($1[path: "metadata", "annotations", Self.revisionAnnotation]?.stringValue ?? "") ?? 0 }
        for set in empty.prefix(max(0, empty.count - limit)) {
            _ = try? await store.remove(.replicaSets, namespace: set[path: "metadata", "namespace"]?.stringValue,
                                        name: set[path: "metadata", "name"]?.stringValue ?? "")
        }
    }

    // MARK: - Status

    private func writeStatus(_ deployment: JSONValue, new: JSONValue?, sets: [JSONValue], createdName: String?) async {
        let namespace = deployment[path: "metadata", "namespace"]?.stringValue ?? "default"
        let name = deployment[path: "metadata", "name"]?.stringValue ?? ""
        // Re-read the ReplicaSets: the sync above may have changed them.
        var fresh: [JSONValue] = []
        for set in sets {
            if let current = await store.get(.replicaSets, namespace: namespace, name: set[path: "metadata", "name"]?.stringValue ?? "") { fresh.append(current) }
        }
        func sum(_ field: String) -> Int64 { fresh.reduce(0) { $0 + ($1[path: "status", field]?.intValue ?? 0) } }
        let desired = deployment[path: "spec", "replicas"]?.intValue ?? 1
        let newName = new?[path: "metadata", "name"]?.stringValue
        let updated = fresh.first { $0[path: "metadata", "name"]?.stringValue == newName }?[path: "status", "replicas"]?.intValue ?? 0
        let total = sum("replicas"), ready = sum("readyReplicas"), available = sum("availableReplicas")
        let generation = deployment[path: "metadata", "generation"]?.intValue ?? 1
        var status = deployment["status"] ?? [:]
        for (key, value) in [("replicas", total), ("updatedReplicas", updated), ("readyReplicas", ready), ("availableReplicas", available),
                             ("unavailableReplicas", max(0, desired - available))] {
            status[key] = value == 0 ? nil : .int(value)
        }
        status["observedGeneration"] = .int(generation)
        let (_, unavailable) = Self.rollingLimits(deployment, desired: desired)
        let now = KubeTime.format(Date())
        var conditions = status["conditions"]?.arrayValue ?? []
        if available >= desired - unavailable {
            Self.set(&conditions, "Available", true, "MinimumReplicasAvailable", "Deployment has minimum availability.", now: now)
        } else {
            Self.set(&conditions, "Available", false, "MinimumReplicasUnavailable", "Deployment does not have minimum availability.", now: now)
        }
        if let newName {
            let complete = updated == desired && total == desired && available == desired
            if complete {
                Self.set(&conditions, "Progressing", true, "NewReplicaSetAvailable", "ReplicaSet \"\(newName)\" has successfully progressed.", now: now)
            } else if createdName != nil {
                Self.set(&conditions, "Progressing", true, "NewReplicaSetCreated", "Created new replica set \"\(newName)\"", now: now)
            } else {
                Self.set(&conditions, "Progressing", true, "ReplicaSetUpdated", "ReplicaSet \"\(newName)\" is progressing.", now: now)
            }
        }
        status["conditions"] = .array(conditions)
        guard status != (deployment["status"] ?? [:]) else { return }
        let newStatus = status
        _ = try? await store.mutate(.deployments, namespace: namespace, name: name) { current in
            var current = current
            // Keep what createReplicaSet wrote meanwhile (collisionCount).
            var merged = newStatus
            if let collisions = current[path: "status", "collisionCount"] { merged["collisionCount"] = collisions }
            current["status"] = merged
            return current
        }
    }

    /// A condition with `lastUpdateTime` moved when reason or message change and `lastTransitionTime`
    /// when the status flips (deploymentutil `SetDeploymentCondition`).
    static func set(_ conditions: inout [JSONValue], _ type: String, _ isTrue: Bool, _ reason: String, _ message: String, now: String) {
        let status = JSONValue.string(isTrue ? "True" : "False")
        var condition: JSONValue = [
            "type": .string(type), "status": status, "reason": .string(reason), "message": .string(message),
            "lastUpdateTime": .string(now), "lastTransitionTime": .string(now),
        ]
        if let index = conditions.firstIndex(where: { $0["type"]?.stringValue == type }) {
            let existing = conditions[index]
            if existing["status"] == status {
                if existing["reason"]?.stringValue == reason, existing["message"]?.stringValue == message { return }
                condition["lastTransitionTime"] = existing["lastTransitionTime"] ?? .string(now)
            }
            conditions[index] = condition
        } else {
            conditions.append(condition)
        }
    }
}
