import DevClusterTesting
import JSONValue
import DevCluster
import Foundation
import HTTPClient
import KubeAPI
import Testing

@Suite(.timeLimit(.minutes(3))) struct APITests {
    func raw(_ cluster: DevCluster, _ path: String, method: HTTPMethod = .get, body: JSONValue? = nil, contentType: String = "application/json", accept: String = "application/json") async throws -> HTTPResponse {
        let client = try HTTPClient(configuration: HTTPClientConfiguration(
            tls: TLSConfiguration(certificateAuthority: .file(cluster.caCertificatePath), trustSystemRoots: false), proxy: .none))
        return try await client.execute(HTTPRequest(
            method: method, url: cluster.server + path, headers: ["Content-Type": contentType, "Accept": accept],
            body: body?.encoded(), authorization: .bearer(cluster.token)))
    }

    @Test func statusBodiesAreKubernetesShaped() async throws {
        try await withCluster { cluster, _ in
            let missing = try await raw(cluster, "/api/v1/namespaces/default/pods/x")
            #expect(missing.status == 404)
            #expect(try JSONValue.decode(missing.body) == [
                "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure", "message": "pods \"x\" not found",
                "reason": "NotFound", "details": ["name": "x", "kind": "pods"], "code": 404,
            ])
            let tooLong = String(repeating: "a", count: 64)
            let invalid = try await raw(cluster, "/api/v1/namespaces", method: .post, body: ["metadata": ["name": .string(tooLong)]])
            let status = try JSONValue.decode(invalid.body)
            #expect(invalid.status == 422 && status["reason"] == "Invalid")
            #expect(status[path: "details", "causes"]?[0]?["field"] == "metadata.name")
            #expect(status["message"]?.stringValue?.contains("must be no more than 63 characters") == true)
            let noContainers = try await raw(cluster, "/api/v1/namespaces/default/pods", method: .post, body: ["metadata": ["name": "p"], "spec": [:]])
            #expect(try JSONValue.decode(noContainers.body)["message"]?.stringValue?.contains("spec.containers: Required value") == true)
            let strict = try await raw(cluster, "/api/v1/namespaces/default/pods?fieldValidation=Strict", method: .post,
                                       body: ["metadata": ["name": "p"], "spec": ["containers": [["name": "c", "image": "i", "imagee": "x"]]]])
            #expect(strict.status == 400 && strict.bodyText.contains("unknown field \\\"spec.containers[0].imagee\\\""))
            let garbage = try await raw(cluster, "/api/v1/namespaces/default/configmaps", method: .post, body: nil)
            #expect(garbage.status == 400)
            let unauthorized = try await HTTPClient(configuration: HTTPClientConfiguration(
                tls: TLSConfiguration(certificateAuthority: .file(cluster.caCertificatePath), trustSystemRoots: false), proxy: .none))
                .execute(HTTPRequest(url: cluster.server + "/api/v1/namespaces"))
            #expect(unauthorized.status == 401)
        }
    }

    @Test func watchFromACompactedVersionAnswers410() async throws {
        try await withCluster({ $0.watchHistoryLimit = 8 }) { cluster, kube in
            for i in 0..<20 { _ = try await kube.create(.configMaps, ["metadata": ["name": .string("c\(i)")]]) }
            let response = try await raw(cluster, "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=2&timeoutSeconds=1")
            let line = try JSONValue.decode(response.bodyText.split(separator: "\n").first.map(String.init) ?? "")
            #expect(line["type"] == "ERROR")
            #expect(line[path: "object", "code"] == 410)
            let events = kube.watch(.configMaps, namespace: "default", options: ListOptions(resourceVersion: "2"))
            await expectKubeError(.gone) { for try await _ in events {} }
        }
    }

    @Test func discoveryAndTables() async throws {
        try await withCluster { cluster, kube in
            let resources = try JSONValue.decode(try await raw(cluster, "/api/v1").body)
            let names = resources["resources"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("pods/log") && names.contains("pods/status") && names.contains("namespaces"))
            let groups = try JSONValue.decode(try await raw(cluster, "/apis").body)
            #expect(groups["groups"]?.arrayValue?.contains { $0["name"] == "coordination.k8s.io" } == true)
            _ = try await kube.create(.pods, podManifest("tabled"))
            let table = try JSONValue.decode(try await raw(cluster, "/api/v1/namespaces/default/pods", accept: "application/json;as=Table;v=v1;g=meta.k8s.io").body)
            #expect(table["kind"] == "Table")
            #expect(table["columnDefinitions"]?.arrayValue?.prefix(5).compactMap { $0["name"]?.stringValue } == ["Name", "Ready", "Status", "Restarts", "Age"])
            #expect(table["rows"]?[0]?["cells"]?[0] == "tabled")
        }
    }

    @Test func fieldSelectorsOnPhaseAndNode() async throws {
        try await withCluster { _, kube in
            _ = try await kube.create(.pods, podManifest("quick", command: ["true"]))
            _ = try await kube.create(.pods, podManifest("slow", command: ["sleep", "30"]))
            let succeeded = try await eventually { () -> [String]? in
                let list = try await kube.list(.pods, namespace: "default", options: ListOptions(fieldSelector: "status.phase=Succeeded"))
                return list.items.isEmpty ? nil : list.items.map { PodView($0).name }
            }
            #expect(succeeded == ["quick"])
            let onNode = try await kube.list(.pods, namespace: nil, options: ListOptions(fieldSelector: "spec.nodeName=devcluster,status.phase!=Succeeded"))
            #expect(onNode.items.map { PodView($0).name } == ["slow"])
            await expectKubeError(.invalid) { _ = try await kube.list(.pods, namespace: nil, options: ListOptions(fieldSelector: "spec.bogus=1")) }
        }
    }
}
