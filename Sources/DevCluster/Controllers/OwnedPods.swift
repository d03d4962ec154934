import Foundation
import JSONValue
import KubeAPI

/// What the workload controllers share about the pods they own: which pods are whose, which count, and
/// how a pod is made from a template (k8s pkg/controller/controller_utils.go `RealPodControl`,
/// `FilterActivePods`, `podutil.IsPodReady`).
enum OwnedPods {
    /// Pods grouped by the uid of their controller reference.
    static func byController(_ pods: [JSONValue], kind: String) -> [String: [JSONValue]] {
        var result: [String: [JSONValue]] = [:]
        for pod in pods {
            guard let owner = ReconcileLoop.controller(of: pod), owner["kind"]?.stringValue == kind,
                  let uid = owner["uid"]?.stringValue else { continue }
            result[uid, default: []].append(pod)
        }
        return result
    }

    /// Neither finished nor being deleted.
    static func isActive(_ pod: JSONValue) -> Bool {
        let phase = pod[path: "status", "phase"]?.stringValue ?? "Pending"
        return phase != "Succeeded" && phase != "Failed" && pod[path: "metadata", "deletionTimestamp"] == nil
    }

    static func isReady(_ pod: JSONValue) -> Bool {
        (pod[path: "status", "conditions"]?.arrayValue ?? []).contains { $0["type"] == "Ready" && $0["status"] == "True" }
    }

    /// A pod from `template`, named `<prefix><5 random>`, owned by `owner` (controller), defaulted and
    /// admitted as any created pod is, then handed to the node.
    @discardableResult
    static func create(from template: JSONValue, owner: JSONValue, ownerKind: String, ownerAPIVersion: String,
                       store: ObjectStore, kubelet: Kubelet) async -> JSONValue? {
        let namespace = owner[path: "metadata", "namespace"]?.stringValue ?? "default"
        let ownerName = owner[path: "metadata", "name"]?.stringValue ?? ""
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var metadata = template["metadata"]?.objectValue ?? [:]
        metadata["name"] = .string("\(ownerName)-" + String((0..<5).map { _ in alphabet.randomElement() ?? "x" }))
        metadata["generateName"] = .string("\(ownerName)-")
        metadata["namespace"] = .string(namespace)
        metadata["ownerReferences"] = [[
            "apiVersion": .string(ownerAPIVersion), "kind": .string(ownerKind), "name": .string(ownerName),
            "uid": owner[path: "metadata", "uid"] ?? "", "controller": true, "blockOwnerDeletion": true,
        ]]
        var pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": template["spec"] ?? [:]]
        pod = Defaults.apply(pod, type: .pods, manager: "kube-controller-manager", operation: "Update")
        pod = await ServiceAccountAdmission.admit(pod, store: store)
        guard let stored = try? await store.insert(.pods, pod) else { return nil }
        await kubelet.admit(stored)
        return stored
    }
}
