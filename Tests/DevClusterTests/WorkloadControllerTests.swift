import DevCluster
import DevClusterTesting
import Foundation
import HTTPClient
import JSONValue
import KubeAPI
import Testing

extension ResourceType {
    static let testDeployments = ResourceType(group: "apps", version: "v1", plural: "deployments", kind: "Deployment", namespaced: true)
    static let testReplicaSets = ResourceType(group: "apps", version: "v1", plural: "replicasets", kind: "ReplicaSet", namespaced: true)
    static let testServices = ResourceType(group: "", version: "v1", plural: "services", kind: "Service", namespaced: true)
    static let testDisruptionBudgets = ResourceType(group: "policy", version: "v1", plural: "poddisruptionbudgets", kind: "PodDisruptionBudget", namespaced: true)
}

/// One request as the admin with any content type, for what KubeClient does not speak (the scale
/// subresource, strategic merge patches, discovery, OpenAPI).
func workloadRequest(_ cluster: DevCluster, _ path: String, method: HTTPMethod = .get, body: JSONValue? = nil,
                    contentType: String = "application/json", accept: String = "application/json") async throws -> HTTPResponse {
    let client = try HTTPClient(configuration: HTTPClientConfiguration(
        tls: TLSConfiguration(certificateAuthority: .file(cluster.caCertificatePath), trustSystemRoots: false), proxy: .none))
    return try await client.execute(HTTPRequest(
        method: method, url: cluster.server + path, headers: ["Content-Type": contentType, "Accept": accept],
        body: body?.encoded(), authorization: .bearer(cluster.token)))
}

func deploymentManifest(_ name: String, replicas: Int64 = 1, strategy: String = "Recreate", command: [String] = ["sleep", "60"]) -> JSONValue {
    [
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name)],
        "spec": [
            "replicas": .int(replicas), "strategy": ["type": .string(strategy)],
            "selector": ["matchLabels": ["app": .string(name)]],
            "template": ["metadata": ["labels": ["app": .string(name)]], "spec": [
                "terminationGracePeriodSeconds": 2,
                "containers": [["name": "main", "image": "busybox:1.36", "command": .array(command.map { .string($0) })]],
            ]],
        ],
    ]
}

/// The Deployment and ReplicaSet controllers and the garbage collector (Controllers/), checked against what
/// kube-controller-manager does (pkg/controller/deployment, replicaset, garbagecollector) and what clients read:
/// Helm 3's readiness check (the new ReplicaSet's readyReplicas), Helm 4's kstatus (observedGeneration,
/// replicas, updated/ready/available, the Available and Progressing conditions), `kubectl scale`,
/// `kubectl delete --cascade=foreground|background|orphan`.
@Suite(.timeLimit(.minutes(3))) struct WorkloadControllerTests {
    func activePods(_ kube: KubeClient, _ app: String) async throws -> [JSONValue] {
        try await kube.list(.pods, namespace: "default", options: ListOptions(labelSelector: "app=\(app)")).items
            .filter { $0[path: "metadata", "deletionTimestamp"] == nil }
    }

    func available(_ kube: KubeClient, _ name: String, replicas: Int64) async throws -> JSONValue? {
        try await eventually(timeout: .seconds(20)) { () -> JSONValue? in
            let deployment = try await kube.get(.testDeployments, namespace: "default", name: name)
            let status = deployment["status"] ?? [:]
            let conditions = status["conditions"]?.arrayValue ?? []
            let complete = conditions.contains { $0["type"] == "Progressing" && $0["reason"] == "NewReplicaSetAvailable" }
            guard status["observedGeneration"] == deployment[path: "metadata", "generation"], complete,
                  (status["availableReplicas"]?.intValue ?? 0) == replicas, (status["replicas"]?.intValue ?? 0) == replicas else { return nil }
            return deployment
        }
    }

    @Test func aDeploymentRunsThroughOneReplicaSetNamedByItsTemplateHash() async throws {
        try await withCluster { _, kube in
            let created = try await kube.create(.testDeployments, namespace: "default", deploymentManifest("web"))
            #expect(created[path: "metadata", "generation"] == 1)
            #expect(created[path: "spec", "revisionHistoryLimit"] == 10 && created[path: "spec", "progressDeadlineSeconds"] == 600)
            #expect(created[path: "spec", "template", "spec", "restartPolicy"] == "Always", "the pod template is defaulted")
            let deployment = try #require(try await available(kube, "web", replicas: 1))
            let conditions = deployment[path: "status", "conditions"]?.arrayValue ?? []
            #expect(conditions.contains { $0["type"] == "Available" && $0["status"] == "True" && $0["reason"] == "MinimumReplicasAvailable" })
            #expect(deployment[path: "metadata", "annotations", "deployment.kubernetes.io/revision"] == "1")
            let sets = try await kube.list(.testReplicaSets, namespace: "default").items
            let set = try #require(sets.first)
            #expect(sets.count == 1)
            let hash = try #require(set[path: "metadata", "labels", "pod-template-hash"]?.stringValue)
            #expect(set[path: "metadata", "name"] == .string("web-\(hash)"))
            #expect(set[path: "spec", "selector", "matchLabels"] == ["app": "web", "pod-template-hash": .string(hash)])
            #expect(set[path: "metadata", "ownerReferences"]?[0]?["uid"] == deployment[path: "metadata", "uid"])
            #expect(set[path: "metadata", "ownerReferences"]?[0]?["controller"] == true)
            #expect(set[path: "status", "readyReplicas"] == 1 && set[path: "status", "observedGeneration"] == set[path: "metadata", "generation"])
            let pod = try #require(try await activePods(kube, "web").first)
            #expect(PodView(pod).name.hasPrefix("web-\(hash)-"))
            #expect(pod[path: "metadata", "ownerReferences"]?[0]?["kind"] == "ReplicaSet")
            #expect(pod[path: "metadata", "labels", "pod-template-hash"] == .string(hash))
        }
    }

    @Test func theScaleSubresourceScalesAndATemplateChangeRollsOut() async throws {
        try await withCluster { cluster, kube in
            _ = try await kube.create(.testDeployments, namespace: "default", deploymentManifest("roll"))
            _ = try #require(try await available(kube, "roll", replicas: 1))
            let scale = try JSONValue.decode(try await workloadRequest(cluster, "/apis/apps/v1/namespaces/default/deployments/roll/scale").body)
            #expect(scale["kind"] == "Scale" && scale["apiVersion"] == "autoscaling/v1")
            #expect(scale[path: "spec", "replicas"] == 1 && scale[path: "status", "selector"] == "app=roll")
            // `kubectl scale` sends a merge patch to the subresource.
            let scaled = try await workloadRequest(cluster, "/apis/apps/v1/namespaces/default/deployments/roll/scale", method: .patch,
                                                  body: ["spec": ["replicas": 3]], contentType: "application/merge-patch+json")
            #expect(scaled.status == 200)
            let three = try #require(try await available(kube, "roll", replicas: 3))
            #expect(three[path: "metadata", "generation"] == 2, "a scale is a spec change")
            #expect(try await kube.list(.testReplicaSets, namespace: "default").items.count == 1, "scaling makes no new ReplicaSet")
            #expect(try await activePods(kube, "roll").count == 3)

            // A template change: a second ReplicaSet; Recreate stops every old pod before it starts a new one.
            let oldNames = Set(try await activePods(kube, "roll").map { PodView($0).name })
            _ = try await kube.patch(.testDeployments, namespace: "default", name: "roll",
                                     .merge(["spec": ["template": ["metadata": ["annotations": ["rev": "2"]]]]]))
            var sawMixed = false
            let rolled = try await eventually(timeout: .seconds(30)) { () -> [JSONValue]? in
                let pods = try await kube.list(.pods, namespace: "default", options: ListOptions(labelSelector: "app=roll")).items
                let running = pods.filter { $0[path: "status", "phase"] == "Running" }
                let names = Set(running.map { PodView($0).name })
                if !names.isDisjoint(with: oldNames), names.count > names.intersection(oldNames).count { sawMixed = true }
                let fresh = running.filter { !oldNames.contains(PodView($0).name) }
                return fresh.count == 3 && pods.count == 3 ? fresh : nil
            }
            #expect(rolled?.count == 3)
            #expect(!sawMixed, "Recreate never runs old and new pods together")
            let sets = try await kube.list(.testReplicaSets, namespace: "default").items
            #expect(sets.count == 2 && sets.compactMap { $0[path: "spec", "replicas"]?.intValue }.sorted() == [0, 3])
            let deployment = try #require(try await available(kube, "roll", replicas: 3))
            #expect(deployment[path: "metadata", "annotations", "deployment.kubernetes.io/revision"] == "2")
            #expect(deployment[path: "status", "updatedReplicas"] == 3)
        }
    }

    @Test func rollingUpdateKeepsAvailabilityWithinMaxUnavailableZero() async throws {
        try await withCluster { _, kube in
            var manifest = deploymentManifest("rolling", replicas: 2, strategy: "RollingUpdate")
            manifest[path: "spec", "strategy", "rollingUpdate"] = ["maxSurge": 1, "maxUnavailable": 0]
            _ = try await kube.create(.testDeployments, namespace: "default", manifest)
            _ = try #require(try await available(kube, "rolling", replicas: 2))
            _ = try await kube.patch(.testDeployments, namespace: "default", name: "rolling",
                                     .merge(["spec": ["template": ["metadata": ["annotations": ["rev": "2"]]]]]))
            var minimumReady = Int.max
            let done = try await eventually(timeout: .seconds(30)) { () -> JSONValue? in
                let ready = try await kube.list(.pods, namespace: "default", options: ListOptions(labelSelector: "app=rolling")).items
                    .filter { $0[path: "metadata", "deletionTimestamp"] == nil && $0[path: "status", "phase"] == "Running" }.count
                minimumReady = min(minimumReady, ready)
                let deployment = try await kube.get(.testDeployments, namespace: "default", name: "rolling")
                return deployment[path: "metadata", "annotations", "deployment.kubernetes.io/revision"] == "2"
                    && deployment[path: "status", "updatedReplicas"] == 2 && deployment[path: "status", "replicas"] == 2
                    && deployment[path: "status", "availableReplicas"] == 2 ? deployment : nil
            }
            #expect(done != nil)
            #expect(minimumReady >= 2, "maxUnavailable 0: never fewer than 2 running pods during the rollout")
        }
    }

    @Test func deletionPropagatesForegroundBackgroundAndOrphan() async throws {
        try await withCluster { _, kube in
            // Foreground: the Deployment stays, marked, until its ReplicaSet and pods are gone.
            _ = try await kube.create(.testDeployments, namespace: "default", deploymentManifest("fg"))
            _ = try #require(try await available(kube, "fg", replicas: 1))
            let marked = try await kube.delete(.testDeployments, namespace: "default", name: "fg", options: DeleteOptions(propagationPolicy: .foreground))
            #expect(marked[path: "metadata", "deletionTimestamp"] != nil)
            #expect(marked[path: "metadata", "finalizers"] == ["foregroundDeletion"])
            let gone = try await eventually(timeout: .seconds(20)) { () -> Bool? in
                do { _ = try await kube.get(.testDeployments, namespace: "default", name: "fg"); return nil } catch let error as KubeError where error.kind == .notFound {
                    return true
                }
            }
            #expect(gone == true)
            #expect(try await kube.list(.pods, namespace: "default", options: ListOptions(labelSelector: "app=fg")).items.isEmpty,
                    "the owner goes only after its pods")
            #expect(try await kube.list(.testReplicaSets, namespace: "default").items.isEmpty)

            // Background: the Deployment goes at once, the collector removes the rest.
            _ = try await kube.create(.testDeployments, namespace: "default", deploymentManifest("bg"))
            _ = try #require(try await available(kube, "bg", replicas: 1))
            _ = try await kube.delete(.testDeployments, namespace: "default", name: "bg", options: DeleteOptions(propagationPolicy: .background))
            await expectKubeError(.notFound) { _ = try await kube.get(.testDeployments, namespace: "default", name: "bg") }
            let collected = try await eventually(timeout: .seconds(20)) { () -> Bool? in
                let pods = try await kube.list(.pods, namespace: "default", options: ListOptions(labelSelector: "app=bg")).items
                let sets = try await kube.list(.testReplicaSets, namespace: "default").items
                return pods.isEmpty && sets.isEmpty ? true : nil
            }
            #expect(collected == true)

            // Orphan: the ReplicaSet survives without its owner reference (and keeps its pod).
            _ = try await kube.create(.testDeployments, namespace: "default", deploymentManifest("orphan"))
            _ = try #require(try await available(kube, "orphan", replicas: 1))
            _ = try await kube.delete(.testDeployments, namespace: "default", name: "orphan", options: DeleteOptions(propagationPolicy: .orphan))
            try await Task.sleep(for: .milliseconds(500))
            let set = try #require(try await kube.list(.testReplicaSets, namespace: "default").items.first)
            #expect(set[path: "metadata", "ownerReferences"] == nil)
            #expect(try await activePods(kube, "orphan").count == 1)
        }
    }

    @Test func workloadValidationAnswersAsTheAPIServer() async throws {
        try await withCluster { cluster, kube in
            var mismatched = deploymentManifest("bad")
            mismatched[path: "spec", "selector", "matchLabels", "app"] = "other"
            let response = try await workloadRequest(cluster, "/apis/apps/v1/namespaces/default/deployments", method: .post, body: mismatched)
            let status = try JSONValue.decode(response.body)
            // pkg/apis/apps/validation ValidateDeploymentSpec: the template's labels must match the selector.
            #expect(response.status == 422)
            #expect(status["message"] == "Deployment.apps \"bad\" is invalid: spec.template.metadata.labels: Invalid value: {\"app\":\"bad\"}: `selector` does not match template `labels`")
            #expect(status["details"] == ["name": "bad", "group": "apps", "kind": "Deployment", "causes": [[
                "reason": "FieldValueInvalid", "message": "Invalid value: {\"app\":\"bad\"}: `selector` does not match template `labels`",
                "field": "spec.template.metadata.labels"]]])
            _ = try await kube.create(.testDeployments, namespace: "default", deploymentManifest("fixed"))
            let immutable = try await workloadRequest(cluster, "/apis/apps/v1/namespaces/default/deployments/fixed", method: .patch,
                                                     body: ["spec": ["selector": ["matchLabels": ["app": "fixed", "x": "y"]],
                                                                     "template": ["metadata": ["labels": ["app": "fixed", "x": "y"]]]]],
                                                     contentType: "application/merge-patch+json")
            #expect(immutable.status == 422 && immutable.bodyText.contains("spec.selector: Invalid value") && immutable.bodyText.contains("field is immutable"))
            let strict = try await workloadRequest(cluster, "/apis/apps/v1/namespaces/default/deployments?fieldValidation=Strict", method: .post,
                                                  body: deploymentManifest("typo").mergePatched(with: ["spec": ["template": ["spec": ["nodeSelectr": ["a": "b"]]]]]))
            #expect(strict.status == 400)
            #expect(try JSONValue.decode(strict.body)["message"] == "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.template.spec.nodeSelectr\"")
            let budget = try await workloadRequest(cluster, "/apis/policy/v1/namespaces/default/poddisruptionbudgets", method: .post,
                                                  body: ["metadata": ["name": "pdb"], "spec": ["minAvailable": 1, "maxUnavailable": 1, "selector": ["matchLabels": ["a": "b"]]]])
            #expect(budget.status == 422 && budget.bodyText.contains("minAvailable and maxUnavailable cannot be both set"))
            let noPorts = try await workloadRequest(cluster, "/api/v1/namespaces/default/services", method: .post, body: ["metadata": ["name": "svc"], "spec": [:]])
            let noPortsStatus = try JSONValue.decode(noPorts.body)
            #expect(noPorts.status == 422 && noPortsStatus["message"] == "Service \"svc\" is invalid: spec.ports: Required value")
        }
    }
}
