import DevCluster
import DevClusterTesting
import Foundation
import JSONValue
import KubeAPI
import Testing

/// The minimal Job controller (kubernetes pkg/controller/job/job_controller.go, simplified): a pod from
/// the template, owned by the Job and labelled with its name and uid; `status` and the Complete
/// condition; the pod garbage-collected with its Job (background propagation).
@Suite(.timeLimit(.minutes(3))) struct JobControllerTests {
    @Test func aJobRunsOnePodToCompletionAndTakesItAlongWhenDeleted() async throws {
        try await withCluster { _, kube in
            let job: JSONValue = [
                "apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "once", "labels": ["app": "x"]],
                "spec": ["backoffLimit": 0, "template": ["metadata": ["labels": ["app": "x"]], "spec": [
                    "restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                    "containers": [["name": "main", "image": "busybox:1.36", "command": ["true"]]],
                ]]],
            ]
            let created = try await kube.create(.jobs, namespace: "default", job)
            let uid = try #require(created[path: "metadata", "uid"]?.stringValue)
            #expect(created[path: "spec", "selector", "matchLabels"] == ["batch.kubernetes.io/controller-uid": .string(uid)])
            let pod = try #require(try await eventually { try await kube.list(.pods, namespace: "default", options: ListOptions(labelSelector: "job-name=once")).items.first })
            #expect(PodView(pod).name.hasPrefix("once-"))
            #expect(PodView(pod).labels["batch.kubernetes.io/controller-uid"] == uid && PodView(pod).labels["app"] == "x")
            #expect(pod[path: "metadata", "ownerReferences"]?[0]?["uid"] == .string(uid))
            let done = try await eventually(timeout: .seconds(20)) { () -> JSONValue? in
                let current = try await kube.get(.jobs, namespace: "default", name: "once")
                return current[path: "status", "succeeded"] == 1 ? Optional.some(current) : Optional.none
            }
            #expect(done?[path: "status", "conditions"]?[0]?["type"] == "Complete")
            #expect(done?[path: "status", "completionTime"] != nil)
            try await kube.delete(.jobs, namespace: "default", name: "once", options: DeleteOptions(propagationPolicy: .background))
            let gone = try await eventually { try await kube.list(.pods, namespace: "default", options: ListOptions(labelSelector: "job-name=once")).items.isEmpty ? true : nil }
            #expect(gone == true)
        }
    }

    @Test func aFailedPodFailsTheJobAtTheBackoffLimit() async throws {
        try await withCluster { _, kube in
            _ = try await kube.create(.jobs, namespace: "default", [
                "metadata": ["name": "fails"],
                "spec": ["backoffLimit": 1, "template": ["spec": [
                    "restartPolicy": "Never", "containers": [["name": "main", "image": "busybox:1.36", "command": ["false"]]],
                ]]],
            ])
            let failed = try await eventually(timeout: .seconds(30)) { () -> JSONValue? in
                let current = try await kube.get(.jobs, namespace: "default", name: "fails")
                return current[path: "status", "conditions"]?[0]?["type"] == "Failed" ? Optional.some(current) : Optional.none
            }
            #expect(failed?[path: "status", "failed"] == 2, "one pod, then one retry (backoffLimit 1): \(String(describing: failed))")
            #expect(failed?[path: "status", "conditions"]?[0]?["reason"] == "BackoffLimitExceeded")
        }
    }
}
