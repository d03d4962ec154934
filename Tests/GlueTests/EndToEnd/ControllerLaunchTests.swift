import ClearMLAPI
import Foundation
import Glue
import HTTPClient
import JSONValue
import KubeAPI
import Testing

/// The controller against the embedded server and cluster: what a task becomes, and what happens when
/// it cannot run.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ControllerLaunchTests {
    @Test func queuedTaskBecomesALabelledPodAndWaitsInThePendingQueue() async throws {
        try await GlueHarness.with { h in
            _ = try await h.ensureQueue("cpu")
            try await h.running(h.configuration(queues: ["cpu"])) { controller, metricsPort in
                let task = try await h.enqueueTask("hello", queue: "cpu")
                let pod = try await h.eventually("the pod") { () -> JSONValue? in try await h.pod(for: task) }
                let labels = PodView(pod).labels
                #expect(PodView(pod).name == "clearml-id-\(task)")
                #expect(labels["CLEARML"] == KubernetesNames.agentLabel(workerID: "glue-e2e"))
                #expect(labels["clearml-agent-queue-name"] == "cpu")
                #expect(labels["clearml-task-id"] == task)

                let document = try await h.task(task)
                #expect(document["status"]?.stringValue == "queued")
                #expect(document["status_reason"]?.stringValue == "k8s pending scheduler")
                #expect(document.value(at: "execution.queue")?.stringValue == controller.context.pendingQueueID)
                let properties = try await h.session.hyperParams(task: task)["properties"] ?? [:]
                #expect(properties["k8s-queue"] == "cpu")

                let http = try HTTPClient(configuration: HTTPClientConfiguration(proxy: .none))
                let metrics = try await http.execute(HTTPRequest(method: .get, url: "http://127.0.0.1:\(metricsPort)/metrics"))
                let text = String(decoding: metrics.body, as: UTF8.self)
                #expect(text.contains("clearml_glue_pods_created_total 1"))
                #expect(text.contains(#"clearml_api_request_seconds_bucket{endpoint="queues.get_next_task""#))
                let ready = try await h.eventually("readiness") {
                    let answer = try await http.execute(HTTPRequest(method: .get, url: "http://127.0.0.1:\(metricsPort)/readyz"))
                    return answer.status == 200 ? answer : nil
                }
                #expect(ready.status == 200)
            }
        }
    }

    @Test func unknownQueueWithoutCreateQueueStopsAtStartWithWhatToDo() async throws {
        try await GlueHarness.with { h in
            var configuration = h.configuration(queues: ["no-such-queue"])
            configuration.createQueues = false
            await #expect {
                _ = try await GlueController.prepare(configuration: configuration, session: h.session, kube: h.kube, logger: .init(label: "t"))
            } throws: { error in
                "\(error)".contains("queue 'no-such-queue' does not exist") && "\(error)".contains("--create-queue")
            }
        }
    }

    @Test func unparsableContainerFailsOnlyThatTaskWithTheReason() async throws {
        try await GlueHarness.with { h in
            _ = try await h.ensureQueue("cpu")
            try await h.running(h.configuration(queues: ["cpu"])) { _, _ in
                let bad = try await h.enqueueTask("bad", queue: "cpu", container: ["image": "python:3.11", "arguments": "-e 'unterminated"])
                let good = try await h.enqueueTask("good", queue: "cpu")
                let failed = try await h.eventually("the bad task failed") { () -> JSONValue? in
                    let document = try await h.task(bad)
                    return (document["status"]?.stringValue == "failed") ? Optional.some(document) : Optional.none
                }
                #expect(failed["status_reason"]?.stringValue?.contains("cannot be parsed") == true)
                _ = try await h.eventually("the good task's pod") { () -> JSONValue? in try await h.pod(for: good) }
                #expect(try await h.pod(for: bad) == nil)
            }
        }
    }

    @Test func badImageFailsTheTaskWithTheReasonAndRemovesThePod() async throws {
        try await GlueHarness.with(cluster: { $0.failImagePattern = "^no-such-registry/" }) { h in
            _ = try await h.ensureQueue("cpu")
            var configuration = h.configuration(queues: ["cpu"])
            configuration.policy.pendingRules = try PendingReasonRules.parse(["ErrImagePull=0s", "ImagePullBackOff=0s"])
            try await h.running(configuration) { _, _ in
                let task = try await h.enqueueTask("bad image", queue: "cpu", container: ["image": "no-such-registry/image:1"])
                let failed = try await h.eventually("the task failed") { () -> JSONValue? in
                    let document = try await h.task(task)
                    return (document["status"]?.stringValue == "failed") ? Optional.some(document) : Optional.none
                }
                let reason = failed["status_reason"]?.stringValue ?? ""
                #expect(reason.hasPrefix("K8S glue error: ") && (reason.contains("ErrImagePull") || reason.contains("ImagePullBackOff")))
                _ = try await h.eventually("the pod is gone") { try await h.pod(for: task) == nil ? true : nil }
                let events = try await h.kube.list(.events, namespace: "clearml").items
                #expect(events.contains { $0["reason"]?.stringValue == "TaskFailed" && $0[path: "involvedObject", "name"]?.stringValue == "clearml-id-\(task)" })
            }
        }
    }

    @Test func gpuTaskShowsUnschedulableThenAbortWhilePendingRemovesThePod() async throws {
        try await GlueHarness.with(cluster: { $0.gpus = 0 }) { h in
            _ = try await h.ensureQueue("gpu")
            var configuration = h.configuration(queues: ["gpu"])
            configuration.queues[0].pod.gpus = 1
            try await h.running(configuration) { _, _ in
                let task = try await h.enqueueTask("needs a gpu", queue: "gpu")
                let pending = try await h.eventually("the pending reason") { () -> JSONValue? in
                    let document = try await h.task(task)
                    return ((document["status_message"]?.stringValue ?? "").contains("Unschedulable")) ? Optional.some(document) : Optional.none
                }
                #expect(pending["status_message"]?.stringValue?.contains("nvidia.com/gpu") == true)
                #expect(pending["status"]?.stringValue == "queued")

                _ = try await h.session.stop(task: task)
                _ = try await h.eventually("the pod is gone") { try await h.pod(for: task) == nil ? true : nil }
                #expect(try await h.task(task)["status"]?.stringValue == "stopped")
            }
        }
    }
}
