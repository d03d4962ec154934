import DevCluster
import DevClusterTesting
import Foundation
import JSONValue
import KubeAPI
import Testing

/// Server-side apply as Helm 4 uses it (`helm install`/`upgrade`: PATCH application/apply-patch+yaml with
/// fieldManager=helm): creates what is missing, records the manager's fields in managedFields (`fieldsV1`
/// notation of sigs.k8s.io/structured-merge-diff), and on the next apply removes what that manager no longer
/// applies, while fields another applier owns stay.
@Suite(.timeLimit(.minutes(2))) struct ServerSideApplyTests {
    func apply(_ kube: KubeClient, _ type: ResourceType, _ name: String, _ object: JSONValue, manager: String = "helm") async throws -> JSONValue {
        try await kube.patch(type, namespace: "default", name: name, .apply(object, fieldManager: manager, force: false))
    }

    @Test func applyCreatesRecordsAndPrunesWhatTheManagerDropped() async throws {
        try await withCluster { cluster, kube in
            let first: JSONValue = [
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cfg", "labels": ["app": "glue", "tier": "a"]],
                "data": ["template.yaml": "x", "queues.yaml": "y"],
            ]
            let created = try await apply(kube, .configMaps, "cfg", first)
            let entry = try #require(created[path: "metadata", "managedFields"]?.arrayValue?.first { $0["manager"] == "helm" })
            #expect(entry["operation"] == "Apply")
            #expect(entry["fieldsV1"] == ["f:metadata": ["f:labels": ["f:app": [:], "f:tier": [:]]], "f:data": ["f:template.yaml": [:], "f:queues.yaml": [:]]])
            // Another applier owns one more label.
            _ = try await apply(kube, .configMaps, "cfg", ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cfg", "labels": ["team": "ml"]]], manager: "other")
            // The next helm apply leaves out a label and a key: both go; the other applier's label stays.
            let second = try await apply(kube, .configMaps, "cfg", [
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cfg", "labels": ["app": "glue"]], "data": ["template.yaml": "z"],
            ])
            #expect(second[path: "metadata", "labels"] == ["app": "glue", "team": "ml"])
            #expect(second["data"] == ["template.yaml": "z"])
            // A keyed list: an env var left out is removed, the rest merges by name.
            var deployment = deploymentManifest("ssa")
            deployment[path: "spec", "template", "spec", "containers"] = [["name": "main", "image": "busybox:1.36", "command": ["sleep", "60"],
                                                                          "env": [["name": "A", "value": "1"], ["name": "B", "value": "2"]]]]
            _ = try await apply(kube, .testDeployments, "ssa", deployment)
            deployment[path: "spec", "template", "spec", "containers"] = [["name": "main", "image": "busybox:1.36", "command": ["sleep", "60"],
                                                                          "env": [["name": "B", "value": "3"]]]]
            let upgraded = try await apply(kube, .testDeployments, "ssa", deployment)
            #expect(upgraded[path: "spec", "template", "spec", "containers"]?[0]?["env"] == [["name": "B", "value": "3"]])
            #expect(upgraded[path: "metadata", "generation"] == 2)
            // Apply needs a field manager (apiserver handlers/patch.go).
            let missing = try await workloadRequest(cluster, "/api/v1/namespaces/default/configmaps/cfg", method: .patch, body: first,
                                                    contentType: "application/apply-patch+yaml")
            #expect(missing.status == 422 && missing.bodyText.contains("fieldManager: Required value: is required for apply patch"))
        }
    }
}
