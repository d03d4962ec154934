import DevCluster
import DevClusterTesting
import Foundation
import JSONValue
import KubeAPI
import Testing

/// What a kubelet gives a pod to reach the API server (k8s plugin/pkg/admission/serviceaccount admission.go,
/// pkg/kubelet/kubelet_pods.go `getServiceEnvVarMap`, pkg/volume/projected): the `kube-api-access-xxxxx`
/// projected volume (a token bound to the pod, the cluster CA, the namespace) at
/// /var/run/secrets/kubernetes.io/serviceaccount unless `automountServiceAccountToken: false` on the pod (first)
/// or its ServiceAccount, and KUBERNETES_SERVICE_HOST/PORT from the `kubernetes` Service. Pods here are local
/// processes, so the volume's real folder is in KUBERNETES_SERVICE_ACCOUNT_DIR, which KubeAPI's in-cluster
/// configuration reads (a test hook).
@Suite(.timeLimit(.minutes(3))) struct ServiceAccountProjectionTests {
    static let mountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

    func logs(_ cluster: DevCluster, _ name: String) async throws -> String {
        try await clusterRequest(cluster, "/api/v1/namespaces/default/pods/\(name)/log").bodyText
    }

    @Test func aPodGetsItsTokenCANamespaceAndTheAPIServersAddress() async throws {
        try await withCluster { cluster, kube in
            let script = "echo DIR=$KUBERNETES_SERVICE_ACCOUNT_DIR; echo ADDR=$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT; "
                + "echo NS=$(cat \(Self.mountPath)/namespace); cmp -s \(Self.mountPath)/ca.crt \(cluster.caCertificatePath) && echo CA=same; sleep 30"
            let created = try await kube.create(.pods, podManifest("reader", command: ["sh", "-c", script]))
            let volumes = created[path: "spec", "volumes"]?.arrayValue ?? []
            let volume = try #require(volumes.first { $0["name"]?.stringValue?.hasPrefix("kube-api-access-") == true })
            #expect(volume[path: "projected", "sources"] == [
                ["serviceAccountToken": ["expirationSeconds": 3607, "path": "token"]],
                ["configMap": ["name": "kube-root-ca.crt", "items": [["key": "ca.crt", "path": "ca.crt"]]]],
                ["downwardAPI": ["items": [["path": "namespace", "fieldRef": ["apiVersion": "v1", "fieldPath": "metadata.namespace"]]]]],
            ])
            #expect(created[path: "spec", "containers"]?[0]?["volumeMounts"] == [["name": volume["name"] ?? "", "readOnly": true, "mountPath": .string(Self.mountPath)]])
            let output = try #require(try await eventually(timeout: .seconds(10)) { () -> String? in
                let text = try await logs(cluster, "reader")
                return text.contains("NS=") ? text : nil
            })
            #expect(output.contains("ADDR=127.0.0.1:\(cluster.port)"), "\(output)")
            #expect(output.contains("NS=default") && output.contains("CA=same"), "\(output)")
            let directory = try #require(output.split(separator: "\n").first { $0.hasPrefix("DIR=") }.map { String($0.dropFirst(4)) })
            #expect(directory.hasPrefix(cluster.dataDirectory), "the volume's real folder, in the pod's sandbox: \(directory)")

            // In-cluster configuration, as the glue runs it in a pod: the token authenticates as the pod's account.
            let environment = ["KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": String(cluster.port),
                               KubeConfiguration.serviceAccountDirectoryVariable: directory]
            var configuration = try KubeConfiguration.inCluster(environment: environment)
            #expect(configuration.server == "https://127.0.0.1:\(cluster.port)" && configuration.namespace == "default")
            configuration.qps = 0
            let inPod = try KubeClient(configuration: configuration)
            do {
                _ = try await inPod.list(.secrets, namespace: "default")
                Issue.record("the default account may not list secrets")
            } catch let error as KubeError {
                #expect(error.kind == .forbidden)
                #expect(error.message.contains("User \"system:serviceaccount:default:default\" cannot list resource \"secrets\""), "\(error)")
            }
            // The token is bound to the pod: it stops working when the pod is gone.
            let token = try String(contentsOfFile: directory + "/token", encoding: .utf8)
            #expect(try await clusterRequest(cluster, "/api/v1/namespaces/default/pods", token: token).status == 403)
            _ = try await kube.delete(.pods, namespace: "default", name: "reader", options: DeleteOptions(gracePeriodSeconds: 0))
            let afterwards = try await clusterRequest(cluster, "/api/v1/namespaces/default/pods", token: token)
            #expect(afterwards.status == 401)
        }
    }

    @Test func automountFalseOnThePodOrItsAccountMountsNothing() async throws {
        try await withCluster { _, kube in
            var optOut = podManifest("pod-says-no")
            optOut[path: "spec", "automountServiceAccountToken"] = false
            let noVolume = try await kube.create(.pods, optOut)
            #expect(noVolume[path: "spec", "volumes"] == nil)
            _ = try await kube.create(.serviceAccounts, ["metadata": ["name": "quiet"], "automountServiceAccountToken": false])
            var quiet = podManifest("account-says-no")
            quiet[path: "spec", "serviceAccountName"] = "quiet"
            #expect(try await kube.create(.pods, quiet)[path: "spec", "volumes"] == nil)
            // The pod's own setting wins over its account's.
            quiet[path: "metadata", "name"] = "pod-overrides"
            quiet[path: "spec", "automountServiceAccountToken"] = true
            let mounted = try await kube.create(.pods, quiet)
            #expect(mounted[path: "spec", "containers"]?[0]?["volumeMounts"]?[0]?["mountPath"] == .string(Self.mountPath))
            // A container that mounts something there itself keeps it.
            var own = podManifest("own-mount")
            own[path: "spec", "volumes"] = [["name": "mine", "emptyDir": [:]]]
            own[path: "spec", "containers"] = [["name": "main", "image": "busybox:1.36", "command": ["true"],
                                                "volumeMounts": [["name": "mine", "mountPath": .string(Self.mountPath)]]]]
            let kept = try await kube.create(.pods, own)
            #expect(kept[path: "spec", "volumes"] == [["name": "mine", "emptyDir": [:]]])
        }
    }

    @Test func aNamespaceGetsTheRootCAForItsPodsAndDefaultHasTheKubernetesService() async throws {
        try await withCluster { cluster, kube in
            _ = try await kube.create(.namespaces, ["metadata": ["name": "fresh"]])
            _ = try await kube.create(.pods, namespace: "fresh", podManifest("needs-ca", command: ["true"]))
            let configMap = try #require(try await eventually { try? await kube.get(.configMaps, namespace: "fresh", name: "kube-root-ca.crt") })
            #expect(configMap[path: "data", "ca.crt"]?.stringValue == (try String(contentsOfFile: cluster.caCertificatePath, encoding: .utf8)))
            let service = try await kube.get(.testServices, namespace: "default", name: "kubernetes")
            #expect(service[path: "spec", "clusterIP"] == "127.0.0.1")
            #expect(service[path: "spec", "ports"] == [["name": "https", "port": .int(Int64(cluster.port)), "protocol": "TCP", "targetPort": .int(Int64(cluster.port))]])
        }
    }
}
