import DevCluster
import DevClusterTesting
import Foundation
import JSONValue
import KubeAPI
import Testing

/// The kinds a chart and deploy/ create, as clients find them: discovery (with the scale subresource as
/// autoscaling/v1 Scale, as kube-apiserver lists it), the OpenAPI v3 documents kubectl and Helm read to decide
/// that the server validates fields, `/openapi/v2` (protobuf), Service defaulting, and streaming lists
/// (`sendInitialEvents`, KEP-3157), which Helm 4's client (client-go 1.35) uses for its waits.
@Suite(.timeLimit(.minutes(2))) struct ServedKindsTests {
    @Test func discoveryListsTheWorkloadKinds() async throws {
        try await withCluster { cluster, _ in
            let groups = try JSONValue.decode(try await workloadRequest(cluster, "/apis").body)
            let names = groups["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("apps") && names.contains("policy") && names.contains("batch"))
            let apps = try JSONValue.decode(try await workloadRequest(cluster, "/apis/apps/v1").body)
            let resources = apps["resources"]?.arrayValue ?? []
            let scale = try #require(resources.first { $0["name"] == "deployments/scale" })
            #expect(scale["group"] == "autoscaling" && scale["version"] == "v1" && scale["kind"] == "Scale" && scale["verbs"] == ["get", "patch", "update"])
            #expect(resources.first { $0["name"] == "deployments" }?["shortNames"] == ["deploy"])
            #expect(resources.first { $0["name"] == "replicasets" }?["kind"] == "ReplicaSet")
            let policy = try JSONValue.decode(try await workloadRequest(cluster, "/apis/policy/v1").body)
            #expect(policy["resources"]?[0]?["name"] == "poddisruptionbudgets")
            let core = try JSONValue.decode(try await workloadRequest(cluster, "/api/v1").body)
            #expect(core["resources"]?.arrayValue?.contains { $0["name"] == "services" && $0["shortNames"] == ["svc"] } == true)
        }
    }

    @Test func openAPIDocumentsDeclareServerSideFieldValidation() async throws {
        try await withCluster { cluster, _ in
            let root = try JSONValue.decode(try await workloadRequest(cluster, "/openapi/v3").body)
            #expect(root[path: "paths", "apis/apps/v1"] != nil && root[path: "paths", "apis/policy/v1"] != nil)
            let apps = try JSONValue.decode(try await workloadRequest(cluster, "/openapi/v3/apis/apps/v1").body)
            let patch = try #require(apps[path: "paths", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", "patch"])
            #expect(patch["x-kubernetes-group-version-kind"] == ["group": "apps", "version": "v1", "kind": "Deployment"])
            #expect(patch["parameters"]?.arrayValue?.contains { $0["name"] == "fieldValidation" } == true)
            // /openapi/v2 as protobuf (kube-openapi's content type): swagger "2.0" and no definitions.
            let v2 = try await workloadRequest(cluster, "/openapi/v2", accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf")
            #expect(v2.status == 200)
            #expect(Array(v2.body.prefix(5)) == [0x0A, 0x03] + Array("2.0".utf8))
            let json = try JSONValue.decode(try await workloadRequest(cluster, "/openapi/v2").body)
            #expect(json["swagger"] == "2.0" && json["paths"] == [:])
        }
    }

    @Test func servicesAreDefaultedAndGetAClusterIP() async throws {
        try await withCluster { _, kube in
            let service = try await kube.create(.testServices, namespace: "default", [
                "metadata": ["name": "metrics"], "spec": ["selector": ["app": "x"], "ports": [["name": "metrics", "port": 9090, "targetPort": "metrics"]]],
            ])
            let ip = try #require(service[path: "spec", "clusterIP"]?.stringValue)
            #expect(ip.hasPrefix("10.96.") && service[path: "spec", "clusterIPs"] == [.string(ip)])
            #expect(service[path: "spec", "type"] == "ClusterIP" && service[path: "spec", "sessionAffinity"] == "None")
            #expect(service[path: "spec", "ports"] == [["name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP"]])
            let budget = try await kube.create(.testDisruptionBudgets, namespace: "default", [
                "metadata": ["name": "glue"], "spec": ["maxUnavailable": 1, "selector": ["matchLabels": ["app": "x"]]],
            ])
            #expect(budget[path: "metadata", "generation"] == 1)
            #expect(budget["status"] == ["disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0])
        }
    }

    @Test func aStreamingListSendsTheObjectsThenTheInitialEventsEndBookmark() async throws {
        try await withCluster { cluster, kube in
            _ = try await kube.create(.configMaps, ["metadata": ["name": "one"]])
            _ = try await kube.create(.configMaps, ["metadata": ["name": "two"]])
            let response = try await workloadRequest(cluster,
                "/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1")
            let events = try response.bodyText.split(separator: "\n").map { try JSONValue.decode(String($0)) }
            let added = events.filter { $0["type"] == "ADDED" }.compactMap { $0[path: "object", "metadata", "name"]?.stringValue }
            #expect(Set(added) == ["one", "two"])
            let bookmark = try #require(events.first { $0["type"] == "BOOKMARK" })
            #expect(bookmark[path: "object", "metadata", "annotations"] == ["k8s.io/initial-events-end": "true"])
            #expect(events.firstIndex { $0["type"] == "BOOKMARK" } == added.count, "the bookmark follows the initial objects")
        }
    }
}
