import Foundation
import JSONValue
import KubeAPI

/// The environment the kubelet gives every container whatever `enableServiceLinks` says: the variables of
/// the `kubernetes` Service in `default` (k8s pkg/kubelet/kubelet_pods.go `getServiceEnvVarMap`,
/// pkg/kubelet/envvars `FromServices`), which in-cluster configuration reads. When the pod mounts the
/// service-account volume, `KUBERNETES_SERVICE_ACCOUNT_DIR` also names where that volume really is: a
/// local process cannot see `/var/run/secrets/kubernetes.io/serviceaccount`, and KubeAPI's in-cluster
/// configuration reads the folder from this variable when it is set (a test hook; a kubelet sets no such
/// variable).
enum ServiceEnvironment {
    static let serviceAccountDirectoryVariable = KubeConfiguration.serviceAccountDirectoryVariable

    static func variables(store: ObjectStore) async -> [String: String] {
        guard let service = await store.get(.services, namespace: "default", name: "kubernetes"),
              let host = service[path: "spec", "clusterIP"]?.stringValue,
              let port = (service[path: "spec", "ports"]?.arrayValue ?? []).first?["port"]?.intValue else { return [:] }
        let address = "tcp://\(host):\(port)"
        return [
            "KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": String(port), "KUBERNETES_SERVICE_PORT_HTTPS": String(port),
            "KUBERNETES_PORT": address, "KUBERNETES_PORT_\(port)_TCP": address, "KUBERNETES_PORT_\(port)_TCP_PROTO": "tcp",
            "KUBERNETES_PORT_\(port)_TCP_PORT": String(port), "KUBERNETES_PORT_\(port)_TCP_ADDR": host,
        ]
    }
}
