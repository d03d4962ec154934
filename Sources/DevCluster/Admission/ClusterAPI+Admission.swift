import JSONValue
import KubeAPI

extension ClusterAPI {
    /// Validating admission, after the object's own validation and before it is stored (dry runs
    /// included): PodSecurity for pods (403 or warnings) and for workload templates (warnings), and the
    /// PodSecurity labels of namespaces (422). Returns the `Warning` texts to send. Pod updates are not
    /// re-evaluated (a pod's spec is nearly immutable; upstream skips most updates too).
    func validatingAdmission(_ object: JSONValue, _ type: ResourceType, old: JSONValue?) async throws(APIError) -> [String] {
        if type == .namespaces {
            try PodSecurityAdmission.admitNamespace(object, old: old)
            return []
        }
        guard type.namespaced, let name = object[path: "metadata", "namespace"]?.stringValue else { return [] }
        let namespace = await store.get(.namespaces, namespace: nil, name: name)
        if type == .pods { return old == nil ? try PodSecurityAdmission.admitPod(object, namespace: namespace) : [] }
        return PodSecurityAdmission.warnPodController(object, kind: type.kind, namespace: namespace)
    }
}
