import Foundation
import JSONValue
import KubeAPI

/// kube-controller-manager's root-ca-cert-publisher (k8s pkg/controller/certificates/rootcacertpublisher): a
/// ConfigMap `kube-root-ca.crt` with the cluster CA under `ca.crt`, which the service-account volume of every pod
/// projects next to its token. Upstream writes it into every namespace as soon as the namespace exists; here it is
/// written into a namespace once a pod there projects it (and written again if deleted while such a pod exists),
/// so namespaces without such pods list no ConfigMap that tests did not create. The kubelet waits a moment for
/// it (`ProjectedVolumes`).
final class RootCAPublisher: Sendable {
    static let configMapName = "kube-root-ca.crt"
    private let store: ObjectStore
    private let certificate: String
    private let loop = ReconcileLoop()

    init(store: ObjectStore, caCertificatePath: String) {
        self.store = store
        certificate = (try? String(contentsOfFile: caCertificatePath, encoding: .utf8)) ?? ""
    }

    func start() async {
        await loop.start(store: store, watching: [.pods, .configMaps], relevant: { event in
            event.resource == .pods ? event.kind == .added && Self.projectsRootCA(event.object)
                : event.kind == .deleted && event.object[path: "metadata", "name"]?.stringValue == Self.configMapName
        }, pass: { [weak self] in await self?.pass() })
    }

    func stop() { loop.stop() }

    /// A pod with a projected or plain ConfigMap volume of `kube-root-ca.crt`.
    static func projectsRootCA(_ pod: JSONValue) -> Bool {
        (pod[path: "spec", "volumes"]?.arrayValue ?? []).contains { volume in
            if volume[path: "configMap", "name"]?.stringValue == configMapName { return true }
            return (volume[path: "projected", "sources"]?.arrayValue ?? []).contains { $0[path: "configMap", "name"]?.stringValue == configMapName }
        }
    }

    private func pass() async {
        let namespaces = Set(await store.all(.pods).filter(Self.projectsRootCA).compactMap { $0[path: "metadata", "namespace"]?.stringValue })
        for name in namespaces.sorted() {
            guard await store.get(.namespaces, namespace: nil, name: name)?[path: "metadata", "deletionTimestamp"] == nil else { continue }
            let existing = await store.get(.configMaps, namespace: name, name: Self.configMapName)
            if existing?[path: "data", "ca.crt"]?.stringValue == certificate { continue }
            if var existing {
                existing[path: "data", "ca.crt"] = .string(certificate)
                _ = try? await store.update(.configMaps, existing, expectedVersion: nil)
                continue
            }
            let configMap: JSONValue = [
                "metadata": [
                    "name": .string(Self.configMapName), "namespace": .string(name),
                    "annotations": ["kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."],
                ],
                "data": ["ca.crt": .string(certificate)],
            ]
            _ = try? await store.insert(.configMaps, Defaults.apply(configMap, type: .configMaps, manager: "kube-controller-manager", operation: "Update"))
        }
    }
}
