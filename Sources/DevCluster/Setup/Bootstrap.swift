import JSONValue
import Foundation
import KubeAPI

/// The objects a fresh cluster has: the usual namespaces with their default service accounts, the node,
/// and the bootstrap RBAC policy.
enum Bootstrap {
    static func seed(_ store: ObjectStore, configuration: DevClusterConfiguration) async throws {
        for namespace in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            _ = try await store.insert(.namespaces, Defaults.apply(["metadata": ["name": .string(namespace)]], type: .namespaces, manager: "kube-apiserver", operation: "Update"))
            _ = try await store.insert(.serviceAccounts, Defaults.apply(
                ["metadata": ["name": "default", "namespace": .string(namespace)]], type: .serviceAccounts, manager: "kube-controller-manager", operation: "Update"))
        }
        let capacity: JSONValue = [
            "cpu": .string(Self.format(configuration.cpu)), "memory": .string("\(configuration.memoryBytes / 1024)Ki"),
            "nvidia.com/gpu": .string(String(configuration.gpus)), "pods": "1000",
        ]
        var node = Defaults.apply(["metadata": ["name": .string(Kubelet.nodeName), "labels": [
            "kubernetes.io/hostname": .string(Kubelet.nodeName), "kubernetes.io/os": "linux", "node-role.kubernetes.io/control-plane": "",
        ]]], type: .nodes, manager: "kubelet", operation: "Update")
        node["status"] = [
            "capacity": capacity, "allocatable": capacity,
            "conditions": [["type": "Ready", "status": "True", "reason": "KubeletReady", "message": "devcluster kubelet is posting ready status"]],
            "addresses": [["type": "InternalIP", "address": "127.0.0.1"], ["type": "Hostname", "address": .string(Kubelet.nodeName)]],
            "nodeInfo": ["kubeletVersion": "v1.32.0-devcluster", "operatingSystem": "linux", "architecture": "amd64", "containerRuntimeVersion": "devcluster://local-processes"],
        ]
        _ = try await store.insert(.nodes, node)
        try await BootstrapPolicy.seed(store)
    }

    static func format(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : "\(Int(value * 1000))m"
    }
}
