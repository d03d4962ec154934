import DevCluster
import DevClusterTesting
import Foundation
import JSONValue
import KubeAPI
import Testing

/// A pod whose secret volume names a Secret that does not exist waits, as a kubelet keeps it: the
/// container stays in ContainerCreating with a FailedMount event until the Secret appears, then runs with
/// its files (k/k pkg/volume/secret/secret.go `SetUpAt` fails while the Secret is missing; the kubelet
/// retries the mount). With `optional: true` the volume is an empty folder instead.
@Suite(.timeLimit(.minutes(2))) struct SecretVolumeWaitTests {
    func pod(_ name: String, optional: Bool) -> JSONValue {
        [
            "metadata": ["name": .string(name)],
            "spec": [
                "restartPolicy": "Never",
                "volumes": [["name": "conf", "secret": ["secretName": .string("\(name)-conf"), "optional": .bool(optional)]]],
                "containers": [[
                    "name": "main", "image": "busybox",
                    "command": ["sh", "-c", "ls /conf; cat /conf/clearml.conf 2>/dev/null || echo none"],
                    "volumeMounts": [["name": "conf", "mountPath": "/conf", "readOnly": true]],
                ]],
            ],
        ]
    }

    func logs(_ kube: KubeClient, _ name: String) async throws -> [String] {
        var lines: [String] = []
        for try await line in kube.podLog(name: name) { lines.append(line) }
        return lines
    }

    @Test func aMissingSecretHoldsTheContainerUntilItExists() async throws {
        try await withCluster { _, kube in
            _ = try await kube.create(.pods, pod("waits", optional: false))
            let event = try #require(try await eventually(timeout: .seconds(8)) { () -> JSONValue? in
                let events = try await kube.list(.events, namespace: "default", options: ListOptions(fieldSelector: "involvedObject.name=waits"))
                return events.items.first { $0["reason"] == "FailedMount" }
            })
            #expect(event["message"]?.stringValue?.contains("secret \"waits-conf\" not found") == true, "\(event)")
            // Still waiting a while later: it neither ran nor failed.
            try await Task.sleep(for: .milliseconds(800))
            let waiting = PodView(try await kube.get(.pods, name: "waits"))
            #expect(waiting.phase == "Pending")
            if case .waiting(let reason, _) = waiting.containerStatuses.first?.state { #expect(reason == "ContainerCreating") } else {
                Issue.record("the container should wait in ContainerCreating: \(String(describing: waiting.containerStatuses.first?.state))")
            }

            _ = try await kube.create(.secrets, ["metadata": ["name": "waits-conf"], "stringData": ["clearml.conf": "marker-1234"]])
            let done = try #require(try await eventually(timeout: .seconds(8)) { () -> JSONValue? in
                let pod = try await kube.get(.pods, name: "waits")
                return ["Succeeded", "Failed"].contains(PodView(pod).phase) ? pod : Optional<JSONValue>.none
            })
            #expect(PodView(done).phase == "Succeeded")
            #expect(try await logs(kube, "waits") == ["clearml.conf", "marker-1234"])
        }
    }

    @Test func anOptionalMissingSecretIsAnEmptyFolder() async throws {
        try await withCluster { _, kube in
            _ = try await kube.create(.pods, pod("optional", optional: true))
            let done = try #require(try await eventually(timeout: .seconds(8)) { () -> JSONValue? in
                let pod = try await kube.get(.pods, name: "optional")
                return ["Succeeded", "Failed"].contains(PodView(pod).phase) ? pod : Optional<JSONValue>.none
            })
            #expect(PodView(done).phase == "Succeeded")
            #expect(try await logs(kube, "optional") == ["none"])
        }
    }
}
