import Foundation
import JSONValue
import KubeAPI

/// The `kubernetes` Service in `default`, which every cluster has and from which the kubelet gives each
/// container `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT` (in-cluster configuration reads them).
/// Pods here are local processes on the API server's own machine, so the Service's address is the API
/// server's loopback address and port rather than a virtual IP in front of it.
enum KubernetesService {
    static func publish(_ store: ObjectStore, host: String, port: Int) async throws {
        let service: JSONValue = [
            "metadata": [
                "name": "kubernetes", "namespace": "default",
                "labels": ["component": "apiserver", "provider": "kubernetes"],
            ],
            "spec": [
                "type": "ClusterIP", "clusterIP": .string(host),
                "ports": [["name": "https", "port": .int(Int64(port)), "protocol": "TCP", "targetPort": .int(Int64(port))]],
            ],
        ]
        _ = try await store.insert(.services, Defaults.apply(service, type: .services, manager: "kube-apiserver", operation: "Update"))
    }
}
