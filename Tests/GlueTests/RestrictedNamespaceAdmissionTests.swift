import DevClusterTesting
import Foundation
import HTTPClient
import JSONValue
import KubeAPI
import Testing
@testable import Glue

/// A task pod rendered for the injected agent, created in a namespace labelled
/// `pod-security.kubernetes.io/enforce: restricted` on the DevCluster, whose Pod Security Admission gives
/// upstream's answers (pod-security-admission v0.32 `policy/check_*.go`, `admission/admission.go
/// EvaluatePod`). The agent's init container sets everything restricted asks
/// (`AgentMode.installerSecurityContext`); the task container's securityContext is the template's.
@Suite(.timeLimit(.minutes(3))) struct RestrictedNamespaceAdmissionTests {
    static let taskID = "aabbccddeeff00112233445566778899"
    static let namespace = "restricted-tasks"

    func rendered(template: JSONValue?) throws -> JSONValue {
        var settings = PodRenderSettings(workerID: "k8s-glue", agentMode: .injected(image: "clearml-glue:1"), defaultImage: "python:3.11",
                                         apiServer: "http://api:8008", webServer: "http://web:8080", filesServer: "http://files:8081")
        settings.credentialsSecret = "clearml-credentials"
        settings.namespace = Self.namespace
        let task = PodTask(id: Self.taskID, queueID: "Q1D", queueName: "restricted", image: "python:3.11-slim")
        return try PodRenderer.render(task: task, queue: QueuePodSettings(), baseTemplate: template, settings: settings).manifest
    }

    @Test func anInjectedAgentTaskPodWhoseTemplateAsksForNothingPrivilegedIsAdmitted() async throws {
        // Nothing privileged: the task container drops everything and runs as a non-root user with the
        // runtime's seccomp profile, as restricted requires of every container.
        let template: JSONValue = ["spec": [
            "securityContext": ["runAsNonRoot": true, "runAsUser": 1000, "seccompProfile": ["type": "RuntimeDefault"]],
            "containers": [["name": "clearml-task", "securityContext": ["allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]]]]],
        ]]
        let pod = try rendered(template: template)
        try await withCluster { cluster, kube in
            _ = try await kube.create(.namespaces, ["metadata": ["name": .string(Self.namespace), "labels": ["pod-security.kubernetes.io/enforce": "restricted"]]])
            let answer = try await clusterRequest(cluster, "/api/v1/namespaces/\(Self.namespace)/pods?fieldValidation=Strict", method: .post, body: pod)
            #expect(answer.status == 201, "\(answer.bodyText)")
            #expect(answer.headers.values(for: "Warning").isEmpty)
        }
    }

    /// Without a template the task container has no securityContext, so a restricted namespace refuses the
    /// pod, and only for that container: the init container the glue adds passes every check.
    @Test func theDefaultTaskContainerIsRefusedByRestrictedAndOnlyIt() async throws {
        let pod = try rendered(template: nil)
        try await withCluster { cluster, kube in
            _ = try await kube.create(.namespaces, ["metadata": ["name": .string(Self.namespace), "labels": ["pod-security.kubernetes.io/enforce": "restricted"]]])
            let answer = try await clusterRequest(cluster, "/api/v1/namespaces/\(Self.namespace)/pods", method: .post, body: pod)
            #expect(answer.status == 403)
            let task = #"container "clearml-task""#
            #expect(try JSONValue.decode(answer.body)["message"]?.stringValue
                == #"pods "clearml-id-\#(Self.taskID)" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false ("#
                + task + #" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities ("# + task
                + #" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or "# + task
                + #" must set securityContext.runAsNonRoot=true), seccompProfile (pod or "# + task
                + #" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#)
            // Baseline takes the default pod as it is.
            _ = try await kube.create(.namespaces, ["metadata": ["name": "baseline-tasks", "labels": ["pod-security.kubernetes.io/enforce": "baseline"]]])
            var inBaseline = pod
            inBaseline[path: "metadata", "namespace"] = "baseline-tasks"
            let baseline = try await clusterRequest(cluster, "/api/v1/namespaces/baseline-tasks/pods", method: .post, body: inBaseline)
            #expect(baseline.status == 201, "\(baseline.bodyText)")
        }
    }
}
