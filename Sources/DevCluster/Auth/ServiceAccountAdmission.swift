import Foundation
import JSONValue
import KubeAPI

/// The ServiceAccount admission plugin's part of a pod create (k8s plugin/pkg/admission/serviceaccount
/// admission.go `mountServiceAccountToken`): unless the pod, or else its ServiceAccount, says
/// `automountServiceAccountToken: false`, the pod gets a projected volume `kube-api-access-xxxxx` (a bound
/// token of its account, the cluster CA from the `kube-root-ca.crt` ConfigMap, and the namespace) mounted
/// read-only at `/var/run/secrets/kubernetes.io/serviceaccount` in every container that does not mount
/// something there already. The kubelet writes the files (`ProjectedVolumes`). Unlike upstream, a pod whose
/// ServiceAccount does not exist is not refused.
enum ServiceAccountAdmission {
    static let mountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
    /// What the kubelet asks for; the apiserver extends such tokens to a year
    /// (`--service-account-extend-token-expiration`, on by default).
    static let tokenExpirationSeconds: Int64 = 3607

    static func admit(_ pod: JSONValue, store: ObjectStore) async -> JSONValue {
        let namespace = pod[path: "metadata", "namespace"]?.stringValue ?? "default"
        let accountName = pod[path: "spec", "serviceAccountName"]?.stringValue ?? "default"
        var automount = pod[path: "spec", "automountServiceAccountToken"]?.boolValue
        if automount == nil {
            automount = await store.get(.serviceAccounts, namespace: namespace, name: accountName)?["automountServiceAccountToken"]?.boolValue
        }
        guard automount ?? true else { return pod }
        let groups = ["initContainers", "containers"]
        let mounted = groups.flatMap { pod[path: "spec", $0]?.arrayValue ?? [] }.allSatisfy { container in
            (container["volumeMounts"]?.arrayValue ?? []).contains { $0["mountPath"]?.stringValue == mountPath }
        }
        if mounted { return pod }
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        let name = "kube-api-access-" + String((0..<5).map { _ in alphabet.randomElement() ?? "x" })
        var pod = pod
        let volume: JSONValue = [
            "name": .string(name),
            "projected": [
                "defaultMode": 420,
                "sources": [
                    ["serviceAccountToken": ["expirationSeconds": .int(tokenExpirationSeconds), "path": "token"]],
                    ["configMap": ["name": .string(RootCAPublisher.configMapName), "items": [["key": "ca.crt", "path": "ca.crt"]]]],
                    ["downwardAPI": ["items": [["path": "namespace", "fieldRef": ["apiVersion": "v1", "fieldPath": "metadata.namespace"]]]]],
                ],
            ],
        ]
        pod[path: "spec", "volumes"] = .array((pod[path: "spec", "volumes"]?.arrayValue ?? []) + [volume])
        for group in groups {
            guard let containers = pod[path: "spec", group]?.arrayValue else { continue }
            pod[path: "spec", group] = .array(containers.map { container in
                var container = container
                let mounts = container["volumeMounts"]?.arrayValue ?? []
                guard !mounts.contains(where: { $0["mountPath"]?.stringValue == mountPath }) else { return container }
                container["volumeMounts"] = .array(mounts + [["name": .string(name), "readOnly": true, "mountPath": .string(mountPath)]])
                return container
            })
        }
        return pod
    }
}
