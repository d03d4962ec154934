import ClearMLAPI
import DevClusterTesting
import Foundation
import Glue
import HTTPClient
import JSONValue
import KubeAPI
import Logging
import Testing

/// What broke on a real kube-apiserver while the embedded cluster let it pass (issue 11), end to end.
@Suite(.serialized) struct RealClusterCorrectnessTests {
    /// The agent refuses its claim (exit code 3) and says why in its termination message; the reason
    /// reaches the task, and the failed pod stays for `kubectl logs`/`describe` instead of vanishing.
    @Test(.timeLimit(.minutes(2))) func aRefusedClaimReachesTheTaskAndThePodStays() async throws {
        try await GlueHarness.with { h in
            _ = try await h.ensureQueue("refusals")
            var configuration = try await h.agentConfiguration(queues: ["refusals"])
            // Holds the pod before the agent starts, so the test can take the task's queue entry away.
            configuration.baseTemplate = ["spec": [
                "terminationGracePeriodSeconds": 2,
                "initContainers": [["name": "hold", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 2"]]],
            ]]
            let task = try await h.enqueueScriptTask("refused", queue: "refusals", script: "print('must not run')\n")
            try await h.running(configuration) { controller, _ in
                _ = try await h.eventually("the task's pod") { try await h.pod(for: task) }
                // The entry in the pending queue is what the agent's claim removes; without it the claim is refused.
                try await h.session.removeTask(queue: controller.context.pendingQueueID, task: task)
                // (JSONValue takes `nil` as its own null, so the "not yet" answer is spelled out.)
                let failed = try await h.eventually("the task failed", timeout: .seconds(60)) { () -> JSONValue? in
                    let document = try await h.task(task)
                    if document["status"] == "failed" { return document }
                    return Optional<JSONValue>.none
                }
                let reason = failed["status_reason"]?.stringValue ?? ""
                #expect(reason.contains("exit code 3"), "\(reason)")
                #expect(reason.contains("is not queued any more"), "the agent's own words reach the task: \(reason)")
                // Kept for the failed-pod retention (1 h by default), with the message in its status.
                try await Task.sleep(for: .seconds(3))
                let pod = try #require(try await h.pod(for: task), "the failed pod was deleted")
                let terminated = PodView(pod).containerStatuses.first.flatMap { status -> String? in
                    if case .terminated(_, _, let message, _) = status.state { return message }
                    return nil
                }
                #expect(terminated?.contains("is not queued any more") == true)
            }
        }
    }

    /// A typo in a template (`spec.nodeSelectr`, `resourcez`) stops the glue at start with the field and
    /// the file, through a server-side dry run with strict field validation.
    @Test(.timeLimit(.minutes(1))) func aTypoInATemplateStopsTheGlueAtStart() async throws {
        try await GlueHarness.with { h in
            var configuration = h.configuration(queues: ["typos"])
            configuration.baseTemplate = [
                "spec": ["nodeSelectr": ["disk": "ssd"], "containers": [["name": "clearml-task", "command": ["true"], "resourcez": [:]]]],
            ]
            configuration.baseTemplateSource = "--template-yaml /etc/glue/pod.yaml"
            do {
                try await TemplateCheck.verify(configuration, kube: h.glueKube, logger: Logger(label: "test"))
                Issue.record("a template with unknown fields was accepted")
            } catch let error as GlueError {
                #expect(error.description.contains("--template-yaml /etc/glue/pod.yaml"), "\(error)")
                #expect(error.description.contains(#"unknown field "spec.nodeSelectr""#), "\(error)")
                #expect(error.description.contains(#"unknown field "spec.containers[0].resourcez""#), "\(error)")
            }
            configuration.baseTemplate = ["spec": ["nodeSelector": ["disk": "ssd"], "containers": [["name": "clearml-task", "command": ["true"]]]]]
            try await TemplateCheck.verify(configuration, kube: h.glueKube, logger: Logger(label: "test"))
            #expect(try await h.kube.list(.pods, namespace: "clearml").items.isEmpty, "a dry run creates nothing")
        }
    }

    /// With leader election the glue writes Lease times in `metav1.MicroTime` form, which the strict
    /// cluster (like kube-apiserver) requires; a task then runs.
    @Test(.timeLimit(.minutes(2))) func aLeaderElectedGlueRunsATask() async throws {
        try await GlueHarness.with { h in
            _ = try await h.ensureQueue("elected")
            var configuration = h.configuration(queues: ["elected"], command: ["true"])
            var election = LeaderElectionSettings(namespace: "clearml", identity: "replica-a")
            election.retryPeriod = .milliseconds(200)
            configuration.leaderElection = election
            let task = try await h.enqueueTask("elected", queue: "elected")
            try await h.running(configuration) { _, _ in
                _ = try await h.eventually("the task's pod", timeout: .seconds(30)) { try await h.pod(for: task) }
                let lease = try await h.kube.get(.leases, namespace: "clearml", name: "clearml-glue")
                #expect(lease[path: "spec", "holderIdentity"] == "replica-a")
                #expect(KubeTime.isMicroTime(lease[path: "spec", "renewTime"]?.stringValue ?? ""))
            }
        }
    }

    /// A kube-apiserver that has just restarted refuses authorised requests for a moment: the create is
    /// retried and the task runs; it is never failed for the cluster's sake.
    @Test(.timeLimit(.minutes(2))) func aBrief403FromARestartedAPIServerDoesNotFailTheTask() async throws {
        try await GlueHarness.with(allowingDenials: true) { h in
            _ = try await h.ensureQueue("restarts")
            let configuration = h.configuration(queues: ["restarts"], command: ["true"])
            try await h.running(configuration) { _, metricsPort in
                // Once the glue is ready (its pod cache synced), the API server "restarts".
                let http = try HTTPClient(configuration: HTTPClientConfiguration(proxy: .none))
                _ = try await h.eventually("ready") { () -> Bool? in
                    try await http.execute(HTTPRequest(method: .get, url: "http://127.0.0.1:\(metricsPort)/readyz")).status == 200 ? true : nil
                }
                // Long enough that a loaded machine still creates inside it; the glue retries a 403 every 5 s.
                h.cluster.refuseAuthorizationFor(.seconds(6))
                let task = try await h.enqueueTask("across a restart", queue: "restarts")
                _ = try await h.eventually("the task's pod", timeout: .seconds(30)) { try await h.pod(for: task) }
                let document = try await h.task(task)
                #expect(document["status"] != "failed", "\(document)")
            }
            let denied = h.cluster.accessLog(user: h.glue.username).keys.filter { !$0.allowed }.map(\.description)
            #expect(denied.contains { $0.contains("create") && $0.contains("pods") }, "the 403 window was not hit: \(denied)")
        }
    }

    /// An RBAC denial that lasts: the task goes back to the front of its queue (never failed), the
    /// missing rule is logged, and `/readyz` says why the glue is not ready.
    @Test(.timeLimit(.minutes(2))) func aLastingRBACDenialReturnsTheTaskAndFailsReadiness() async throws {
        try await GlueHarness.with(allowingDenials: true) { h in
            let queueID = try await h.ensureQueue("denied")
            var role = try await h.kube.get(try #require(ResourceType.served(kind: "Role")), namespace: "clearml", name: "clearml-glue")
            let rules = (role["rules"]?.arrayValue ?? []).map { rule -> JSONValue in
                guard rule["resources"] == ["pods"] else { return rule }
                var without = rule
                without["verbs"] = .array((rule["verbs"]?.arrayValue ?? []).filter { $0 != "create" })
                return without
            }
            role["rules"] = .array(rules)
            _ = try await h.kube.replace(try #require(ResourceType.served(kind: "Role")), namespace: "clearml", role)
            let configuration = h.configuration(queues: ["denied"], command: ["true"])
            try await h.running(configuration) { _, metricsPort in
                let task = try await h.enqueueTask("denied", queue: "denied")
                let http = try HTTPClient(configuration: HTTPClientConfiguration(proxy: .none))
                let reason = try await h.eventually("not ready", timeout: .seconds(30)) { () -> String? in
                    let answer = try await http.execute(HTTPRequest(method: .get, url: "http://127.0.0.1:\(metricsPort)/readyz"))
                    return answer.status == 503 ? answer.bodyText : nil
                }
                #expect(reason.contains("RBAC forbids the glue to create task pods"), "\(reason)")
                let document = try await h.eventually("the task back in its queue", timeout: .seconds(30)) { () -> JSONValue? in
                    let document = try await h.task(task)
                    if document[path: "execution", "queue"]?.stringValue == queueID, document["status"] == "queued" { return document }
                    return Optional<JSONValue>.none
                }
                #expect(document["status"] == "queued")
                let pod = try await h.pod(for: task)
                #expect(pod == nil)
            }
        }
    }
}
