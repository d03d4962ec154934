import DevClusterTesting
import DevCluster
import Foundation
import KubeAPI
import Testing

@Suite(.timeLimit(.minutes(2))) struct KubeClientTests {
    @Test func crudAgainstDevCluster() async throws {
        try await withCluster { _, kube in
            var typo = podManifest("crud-a", labels: ["app": "x"])
            typo[path: "spec", "nodeSelectr"] = ["disk": "ssd"]
            // As a real API server does by default (fieldValidation=Warn): the unknown field is dropped and
            // named in a Warning header, which the client returns.
            let answer = try await kube.create(.pods, typo, options: WriteOptions())
            let created = answer.object
            #expect(PodView(created).uid != nil)
            #expect(created[path: "spec", "nodeSelectr"] == nil)
            #expect(answer.warnings == ["unknown field \"spec.nodeSelectr\""])
            await expectKubeError(.alreadyExists) { _ = try await kube.create(.pods, podManifest("crud-a")) }
            await expectKubeError(.notFound) { _ = try await kube.get(.pods, name: "absent") }
            await expectKubeError(.invalid) { _ = try await kube.create(.pods, podManifest("Bad_Name")) }
            await expectKubeError(.notFound) { _ = try await kube.create(.pods, namespace: "no-such-ns", podManifest("x")) }

            _ = try await kube.create(.pods, podManifest("crud-b", labels: ["app": "y"]))
            let selected = try await kube.list(.pods, namespace: "default", options: ListOptions(labelSelector: "app=x"))
            #expect(selected.items.map { PodView($0).name } == ["crud-a"])
            let byName = try await kube.list(.pods, namespace: "default", options: ListOptions(fieldSelector: "metadata.name=crud-b"))
            #expect(byName.items.count == 1)

            let merged = try await kube.patch(.pods, name: "crud-a", .merge(["metadata": ["labels": ["merged": "yes"]]]))
            #expect(PodView(merged).labels["merged"] == "yes")
            let jsonPatched = try await kube.patch(.pods, name: "crud-a", .json([["op": "add", "path": "/metadata/annotations", "value": ["a": "1"]]]))
            #expect(PodView(jsonPatched).annotations == ["a": "1"])
            let applied = try await kube.patch(.configMaps, name: "cfg", .apply(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cfg"], "data": ["k": "v"]], fieldManager: "glue", force: true))
            #expect(applied["data"]?["k"] == "v")
            #expect(applied[path: "metadata", "managedFields"]?.arrayValue?.contains { $0["manager"] == "glue" } == true)

            // Optimistic concurrency: a stale resourceVersion is a conflict.
            var stale = created
            stale[path: "metadata", "labels", "x"] = "1"
            await expectKubeError(.conflict) { _ = try await kube.replace(.pods, stale) }

            // Status goes through the subresource only.
            var withStatus = try await kube.get(.pods, name: "crud-b")
            withStatus[path: "status", "message"] = "hello from status"
            let updated = try await kube.updateStatus(.pods, withStatus)
            #expect(updated[path: "status", "message"] == "hello from status")

            // Preconditions on delete.
            await expectKubeError(.conflict) { try await kube.delete(.pods, name: "crud-b", options: DeleteOptions(preconditionUID: "wrong")) }
            try await kube.delete(.pods, name: "crud-b", options: DeleteOptions(gracePeriodSeconds: 0, propagationPolicy: .background))
            await expectKubeError(.notFound) { _ = try await kube.get(.pods, name: "crud-b") }
        }
    }

    @Test func listPagesWithContinue() async throws {
        try await withCluster { _, kube in
            for i in 0..<7 { _ = try await kube.create(.configMaps, ["metadata": ["name": .string("cm-\(i)")], "data": ["i": .string("\(i)")]]) }
            let first = try await kube.list(.configMaps, namespace: "default", options: ListOptions(limit: 3))
            #expect(first.items.count == 3 && first.continueToken != nil)
            let all = try await kube.listAll(.configMaps, namespace: "default", options: ListOptions(limit: 3))
            #expect(Set(all.items.compactMap { $0[path: "metadata", "name"]?.stringValue }) == Set((0..<7).map { "cm-\($0)" }))
        }
    }

    @Test func leasesAndEvents() async throws {
        try await withCluster { _, kube in
            let lease = try await kube.create(.leases, ["metadata": ["name": "glue-leader"], "spec": ["holderIdentity": "a", "leaseDurationSeconds": 15]])
            var renewed = lease
            renewed[path: "spec", "holderIdentity"] = "b"
            let updated = try await kube.replace(.leases, renewed)
            #expect(updated[path: "spec", "holderIdentity"] == "b")
            // A second writer holding the old version loses.
            await expectKubeError(.conflict) { _ = try await kube.replace(.leases, renewed) }
            let pod = try await kube.create(.pods, podManifest("evented", command: ["true"]))
            _ = try await kube.recordEvent(about: pod, type: "Warning", reason: "TaskFailed", message: "boom")
            let uid = PodView(pod).uid ?? ""
            let events = try await kube.list(.events, namespace: "default", options: ListOptions(fieldSelector: "involvedObject.uid=\(uid),reason=TaskFailed"))
            #expect(events.items.first?["message"] == "boom")
        }
    }

    @Test func followsPodLogs() async throws {
        try await withCluster { _, kube in
            _ = try await kube.create(.pods, podManifest("logger", command: ["sh", "-c", "for i in 1 2 3; do echo line $i; sleep 0.2; done"]))
            let running = try await eventually {
                PodView(try await kube.get(.pods, name: "logger")).containerStatuses.first.flatMap { s -> Bool? in
                    if case .waiting = s.state { return nil }
                    return true
                }
            }
            #expect(running == true)
            var lines: [String] = []
            for try await line in kube.podLog(name: "logger", follow: true) { lines.append(line) }
            #expect(lines == ["line 1", "line 2", "line 3"])
        }
    }

    @Test func throttlingPausesTheWholeClient() async throws {
        try await withCluster({ $0.faultRate = 1; $0.faults = [.throttled] }) { _, kube in
            do {
                _ = try await kube.get(.pods, name: "x")
                Issue.record("expected 429")
            } catch let error as KubeError {
                #expect(error.kind == .retry && error.code == 429 && error.retryAfter == .seconds(1))
            }
            #expect(await kube.limiter.isPaused)
            let start = ContinuousClock.now
            await expectKubeError(.retry) { _ = try await kube.get(.pods, name: "x") }
            #expect(start.duration(to: .now) >= .milliseconds(700))
        }
    }

    @Test func execPluginAndMutualTLS() async throws {
        try await withCluster { cluster, _ in
            let script = cluster.dataDirectory + "/plugin.sh"
            try """
                #!/bin/sh
                [ -n "$KUBERNETES_EXEC_INFO" ] || exit 3
                echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"\(cluster.token)","expirationTimestamp":"2099-01-01T00:00:00Z"}}'
                """.write(toFile: script, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
            let failing = cluster.dataDirectory + "/failing.sh"
            try "#!/bin/sh\necho 'token expired, run login' >&2\nexit 2\n".write(toFile: failing, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: failing)
            func kubeconfig(_ user: String) throws -> String {
                let path = cluster.dataDirectory + "/kc-\(UUID().uuidString.prefix(6))"
                try """
                    current-context: t
                    contexts: [{name: t, context: {cluster: c, user: u}}]
                    clusters: [{name: c, cluster: {server: '\(cluster.server)', certificate-authority: '\(cluster.caCertificatePath)'}}]
                    users: [{name: u, user: \(user)}]
                    """.write(toFile: path, atomically: true, encoding: .utf8)
                return path
            }
            let exec = try KubeClient(configuration: KubeConfiguration.load(
                kubeconfig: try kubeconfig("{exec: {apiVersion: client.authentication.k8s.io/v1, command: '\(script)', interactiveMode: Never}}"), environment: [:]))
            #expect(try await exec.list(.namespaces, namespace: nil).items.count >= 4)

            let broken = try KubeClient(configuration: KubeConfiguration.load(
                kubeconfig: try kubeconfig("{exec: {apiVersion: client.authentication.k8s.io/v1, command: '\(failing)'}}"), environment: [:]))
            do {
                _ = try await broken.list(.namespaces, namespace: nil)
                Issue.record("expected the plugin failure")
            } catch let error as KubeError {
                #expect(error.kind == .fatal && error.message.contains("exit code 2") && error.message.contains("run login"))
            }

            let mtls = try KubeClient(configuration: KubeConfiguration.load(
                kubeconfig: try kubeconfig("{client-certificate: '\(cluster.clientCertificatePath)', client-key: '\(cluster.clientKeyPath)'}"), environment: [:]))
            #expect(try await mtls.get(.namespaces, name: "default")[path: "metadata", "name"] == "default")

            let anonymous = try KubeClient(configuration: KubeConfiguration.load(kubeconfig: try kubeconfig("{}"), environment: [:]))
            await expectKubeError(.unauthorized) { _ = try await anonymous.get(.namespaces, name: "default") }
        }
    }
}
