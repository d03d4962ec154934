import ClearMLAPI
import DevCluster
import DevClusterTesting
import Foundation
import Glue
import JSONValue
import KubeAPI
import Logging
import Testing

/// What the glue's Kubernetes calls need against what the shipped Role grants, both ways.
enum RBACExactness {
    struct Report: CustomStringConvertible {
        /// Calls no rule allows (denied during the run, or not covered by the rules compared).
        var missing: [AccessRecord]
        /// (group, resource, verb[, names]) a rule grants that no call used.
        var unused: [PolicyRule]

        var description: String {
            "missing rules for: " + (missing.isEmpty ? "none" : missing.map(\.description).joined(separator: "; "))
                + "\nunused grants: " + (unused.isEmpty ? "none" : unused.map(\.description).joined(separator: "; "))
        }
    }

    /// `records`: the glue user's access log; `rules`: a namespaced Role's rules in `namespace`. A call is
    /// covered when it is in that namespace and a rule allows it (rbac.go `RuleAllows`, resourceNames
    /// included); non-resource calls (discovery, /version) are every user's and not the Role's business
    /// unless denied. Each rule is split into one grant per (group, resource, verb): a grant is used when
    /// a call it allows was made and allowed.
    static func compare(_ records: [AccessRecord], rules: [PolicyRule], namespace: String, user: UserInfo) -> Report {
        let missing = records.filter { record in
            if !record.isResourceRequest { return !record.allowed }
            guard record.namespace == namespace else { return true }
            return !rules.contains { $0.allows(record.attributes(user: user)) } || !record.allowed
        }
        var unused: [PolicyRule] = []
        for rule in rules {
            for group in rule.apiGroups {
                for resource in rule.resources {
                    for verb in rule.verbs {
                        let grant = PolicyRule(verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: rule.resourceNames)
                        let used = records.contains { $0.allowed && $0.isResourceRequest && $0.namespace == namespace && grant.allows($0.attributes(user: user)) }
                        if !used { unused.append(grant) }
                    }
                }
            }
        }
        return Report(missing: Array(Set(missing)).sorted { $0.description < $1.description }, unused: unused)
    }
}

/// Runs the glue as its ServiceAccount under the shipped RBAC (deploy/rbac.yaml and deploy/optional/,
/// the chart's role.yaml holds the same rules) through every feature that calls the Kubernetes API, and
/// checks that the glue was denied nothing and that every rule granted was used (issue 11, item 2).
/// Denials are the strict cluster's RBAC answers (plugin/pkg/auth/authorizer/rbac/rbac.go).
@Suite(.serialized) struct RBACExactnessTests {
    @Test(.timeLimit(.minutes(6))) func theShippedRoleGrantsExactlyWhatTheGlueCalls() async throws {
        try await GlueHarness.with { h in
            try await podModeWithLeaderElection(h)
            try await jobMode(h)
            let user = UserInfo.serviceAccount(namespace: ShippedRBAC.namespace, name: ShippedRBAC.serviceAccount)
            let records = Array(h.cluster.accessLog(user: h.glue.username).keys)
            #expect(!records.isEmpty, "no call of the glue was recorded")
            let report = RBACExactness.compare(records, rules: try ShippedRBAC.rules(ShippedRBAC.Part.allCases), namespace: ShippedRBAC.namespace, user: user)
            #expect(report.missing.isEmpty, "the glue needs rules the shipped RBAC lacks:\n\(report)")
            #expect(report.unused.isEmpty, "the shipped RBAC grants what the glue never calls:\n\(report)")

            // The Role the project shipped before this test existed: its missing `list events` (PodMonitor
            // reads a pending pod's Warning events) and its unused grants are what this test catches.
            let before: [PolicyRule] = [
                PolicyRule(verbs: ["get", "list", "watch", "create", "delete", "patch"], apiGroups: [""], resources: ["pods"]),
                PolicyRule(verbs: ["create", "patch"], apiGroups: [""], resources: ["events"]),
                PolicyRule(verbs: ["create", "patch"], apiGroups: ["events.k8s.io"], resources: ["events"]),
            ]
            let old = RBACExactness.compare(records, rules: before, namespace: ShippedRBAC.namespace, user: user)
            #expect(old.missing.contains { $0.verb == "list" && $0.resource == "events" && $0.apiGroup == "" }, "\(old)")
            #expect(Set(old.unused.map { "\($0.apiGroups[0])/\($0.resources[0]) \($0.verbs[0])" })
                == ["/pods get", "/pods patch", "/events patch", "events.k8s.io/events create", "events.k8s.io/events patch"])
        }
    }

    /// Pods, the real agent, leader election on: the start-up dry run, a task that completes, a pending
    /// pod with a Warning event (FailedMount, as a kubelet writes it) that reaches the task, an abort.
    func podModeWithLeaderElection(_ h: GlueHarness) async throws {
        for queue in ["exact", "held"] { _ = try await h.ensureQueue(queue) }
        var configuration = try await h.agentConfiguration(queues: ["exact", "held"])
        var election = LeaderElectionSettings(namespace: ShippedRBAC.namespace, identity: "exactness")
        election.retryPeriod = .milliseconds(200)
        configuration.leaderElection = election
        // The pods of `held` wait in an init container: Pending, with nothing in their status to say why.
        configuration.queues[1].pod.overrides = ["spec": ["initContainers": [["name": "hold", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 300"]]]]]
        try await h.grant(for: configuration)
        try await startUpDryRun(h, configuration)
        let done = try await h.enqueueScriptTask("completes", queue: "exact", script: "print('done')\n")
        let held = try await h.enqueueScriptTask("held", queue: "held", script: "print('never')\n")
        try await h.running(configuration) { _, _ in
            _ = try await h.eventually("the task completed", timeout: .seconds(120)) { () -> Bool? in
                let status = try await h.task(done)["status"]?.stringValue
                if status == "failed" || status == "stopped" { Issue.record("the task ended \(status ?? "")"); return true }
                return status == "completed" ? true : nil
            }
            _ = try await h.eventually("its pod deleted", timeout: .seconds(30)) { try await h.pod(for: done) == nil ? true : nil }

            let pod = try await h.eventually("the held pod", timeout: .seconds(60)) { try await h.pod(for: held) }
            let view = PodView(pod)
            let now = JSONValue.string(KubeTime.format(Date()))
            _ = try await h.kube.create(.events, namespace: view.namespace, [
                "metadata": ["name": .string("\(view.name).failedmount"), "namespace": .string(view.namespace)],
                "involvedObject": ["kind": "Pod", "apiVersion": "v1", "name": .string(view.name), "namespace": .string(view.namespace), "uid": .string(view.uid ?? "")],
                "type": "Warning", "reason": "FailedMount", "message": "MountVolume.SetUp failed for volume \"data\": secret \"data\" not found",
                "source": ["component": "kubelet", "host": "devcluster"], "firstTimestamp": now, "lastTimestamp": now, "count": 1,
            ])
            // Without `list events` this times out (recorded); the scenario goes on so the report below
            // names every missing rule.
            let message = try? await h.eventually("the Warning reached the task", timeout: .seconds(30)) { () -> String? in
                let text = try await h.task(held)["status_message"]?.stringValue ?? ""
                return text.contains("FailedMount") ? text : nil
            }
            if let message { #expect(message.contains("secret \"data\" not found"), "\(message)") }

            _ = try await h.session.stop(task: held)
            _ = try await h.eventually("the aborted task's pod deleted", timeout: .seconds(60)) { try await h.pod(for: held) == nil ? true : nil }
        }
        let lease = try await h.kube.get(.leases, namespace: ShippedRBAC.namespace, name: "clearml-glue")
        #expect(lease[path: "spec", "holderIdentity"] == "", "the lease was released")
    }

    /// What `clearml-glue glue` does at start (GlueCommand -> TemplateCheck): each queue's pod (or Job)
    /// sent as a server-side dry run with strict field validation, as the glue.
    func startUpDryRun(_ h: GlueHarness, _ configuration: GlueConfiguration) async throws {
        for queue in configuration.queues {
            let probe = PodTask(id: "0123456789abcdef", queueID: "probe", queueName: queue.name)
            let rendered = try PodRenderer.render(task: probe, queue: queue.pod, baseTemplate: configuration.baseTemplate, settings: configuration.render)
            let refusal = try await TemplateCheck.refusal(of: rendered, kind: configuration.render.kind, kube: h.glueKube, logger: Logger(label: "template-check"))
            #expect(refusal == nil, "queue \(queue.name): \(refusal ?? "")")
        }
    }

    /// A Job per task: the start-up dry run, a task that completes, its Job deleted.
    func jobMode(_ h: GlueHarness) async throws {
        _ = try await h.ensureQueue("jobs")
        var configuration = try await h.agentConfiguration(queues: ["jobs"])
        configuration.render.kind = .job
        // --pod-clearml-conf: its Secret per Job is the `create secrets` of deploy/optional/pod-clearml-conf.yaml.
        configuration.render.podClearMLConf = "# exactness\n"
        configuration.baseTemplate = ["spec": ["template": ["spec": ["terminationGracePeriodSeconds": 2]]]]
        try await h.grant(for: configuration)
        try await startUpDryRun(h, configuration)
        let task = try await h.enqueueScriptTask("as a job", queue: "jobs", script: "print('job done')\n")
        try await h.running(configuration) { _, _ in
            _ = try await h.eventually("the job's task completed", timeout: .seconds(120)) { () -> Bool? in
                let status = try await h.task(task)["status"]?.stringValue
                if status == "failed" || status == "stopped" { Issue.record("the task ended \(status ?? "")"); return true }
                return status == "completed" ? true : nil
            }
            func confSecrets() async throws -> [JSONValue] {
                try await h.kube.list(.secrets, namespace: ShippedRBAC.namespace).items.filter { $0[path: "metadata", "name"]?.stringValue?.hasSuffix("-conf") == true }
            }
            let owners = try await confSecrets().flatMap { $0[path: "metadata", "ownerReferences"]?.arrayValue ?? [] }
            #expect(owners.map { $0["kind"] } == ["Job"], "the conf Secret is owned by its Job: \(owners)")
            _ = try await h.eventually("its Job deleted", timeout: .seconds(30)) { () -> Bool? in
                try await h.kube.list(.jobs, namespace: ShippedRBAC.namespace).items.isEmpty ? true : nil
            }
            _ = try await h.eventually("the conf Secret deleted with its Job", timeout: .seconds(40)) { () -> Bool? in
                try await confSecrets().isEmpty ? true : nil
            }
        }
    }
}
