import ClearMLAPI
import Foundation
import Glue
import JSONValue
import KubeAPI
import Testing

/// Queue -> glue -> pod -> in-pod agent -> ClearML, all real: the embedded server and cluster, the
/// built binary as the injected agent, python3 running the task scripts.
@Suite(.serialized, .timeLimit(.minutes(10))) struct AgentEndToEndTests {
    @Test func fiftyTasksOverTwoQueuesCompleteWithinMaxPodsAndFairOrder() async throws {
        try await GlueHarness.with { h in
            for queue in ["alpha", "beta"] { _ = try await h.ensureQueue(queue) }
            var configuration = try await h.agentConfiguration(queues: ["alpha", "beta"])
            configuration.maxPods = 4
            configuration.orderFairness = true
            configuration.queues[0].pod.overrides = ["metadata": ["labels": ["tier": "alpha"]]]
            configuration.queues[1].pod.template = [
                "metadata": ["labels": ["tier": "beta"]],
                "spec": ["terminationGracePeriodSeconds": 2, "containers": [["name": "clearml-task", "env": [["name": "QUEUE_FLAVOUR", "value": "beta"]]]]],
            ]
            var tasks: [(id: String, queue: String, n: Int)] = []
            for n in 0..<50 {
                let queue = n % 2 == 0 ? "alpha" : "beta"
                let script = "import os\nprint('task \(n) says hello from', os.environ.get('QUEUE_FLAVOUR', 'alpha'))\n"
                tasks.append((try await h.enqueueScriptTask("task \(n)", queue: queue, script: script), queue, n))
            }

            // Watch every pod of the run: the live count must never pass max pods.
            let observer = PodCountObserver()
            let watch = Task { await observer.follow(h.kube) }
            try await h.running(configuration) { _, _ in
                for task in tasks {
                    _ = try await h.eventually("task \(task.n) completed", timeout: .seconds(240)) { () -> Bool? in
                        let status = try await h.task(task.id)["status"]?.stringValue
                        if status == "failed" || status == "stopped" { Issue.record("task \(task.n) ended \(status ?? "")"); return true }
                        return status == "completed" ? true : nil
                    }
                }
            }
            watch.cancel()
            #expect(await observer.maxLive <= 4)
            #expect(await observer.maxLive >= 2)
            for task in tasks {
                let log = try await h.session.taskLog(task: task.id).events.compactMap { $0["msg"]?.stringValue }.joined(separator: "\n")
                let flavour = task.queue == "beta" ? "beta" : "alpha"
                #expect(log.contains("task \(task.n) says hello from \(flavour)"), "console of task \(task.n)")
            }
            // Fair order: while both queues had work, they shared the pods (strict priority would have
            // given all of the first 20 to alpha, which had 25 tasks waiting).
            let order = await observer.creationOrder.prefix(20)
            let alpha = order.filter { $0 == "alpha" }.count
            #expect(abs(alpha - (order.count - alpha)) <= 2, "queue order \(Array(order))")
        }
    }
}

/// Follows the pods with a watch of its own and remembers the highest number live at once.
actor PodCountObserver {
    private var live: Set<String> = []
    private(set) var maxLive = 0
    private(set) var creationOrder: [String] = []

    func follow(_ kube: KubeClient) async {
        let reflector = Reflector(client: kube, resource: .pods, options: .init(namespace: "clearml", labelSelector: "clearml-task-id"))
        let run = Task { await reflector.run() }
        for await event in reflector.events {
            switch event {
            case .added(let pod), .modified(let pod):
                let view = PodView(pod)
                if case .added = event { creationOrder.append(view.labels["clearml-agent-queue-name"] ?? "") }
                if (view.phase == "Pending" || view.phase == "Running") && view.deletionTimestamp == nil { live.insert(view.name) } else { live.remove(view.name) }
            case .deleted(let pod):
                live.remove(PodView(pod).name)
            default:
                break
            }
            maxLive = max(maxLive, live.count)
            if Task.isCancelled { break }
        }
        run.cancel()
    }
}

@Suite(.serialized, .timeLimit(.minutes(5))) struct AgentAbortEndToEndTests {
    @Test func abortWhileRunningEndsStoppedAndNoCredentialIsLiteralInThePod() async throws {
        try await GlueHarness.with { h in
            _ = try await h.ensureQueue("cpu")
            let configuration = try await h.agentConfiguration(queues: ["cpu"])
            try await h.running(configuration) { _, _ in
                let script = "import time\nprint('long task started', flush=True)\nwhile True:\n    time.sleep(0.1)\n"
                let task = try await h.enqueueScriptTask("long", queue: "cpu", script: script)
                _ = try await h.eventually("the script runs", timeout: .seconds(60)) { () -> Bool? in
                    let log = try await h.session.taskLog(task: task).events.compactMap { $0["msg"]?.stringValue }
                    return log.contains { $0.contains("long task started") } ? true : nil
                }
                let pod = try #require(try await h.pod(for: task))
                let text = pod.encodedString()
                #expect(!text.contains(h.server.secretKey) && !text.contains(h.server.accessKey), "credentials literal in the pod spec")
                #expect(text.contains("secretKeyRef"))

                _ = try await h.session.stop(task: task)
                _ = try await h.eventually("stopped", timeout: .seconds(30)) { () -> Bool? in
                    try await h.task(task)["status"]?.stringValue == "stopped" ? true : nil
                }
                _ = try await h.eventually("the pod is gone", timeout: .seconds(30)) { try await h.pod(for: task) == nil ? true : nil }
            }
        }
    }
}

@Suite(.serialized, .timeLimit(.minutes(5))) struct GPUCapacityEndToEndTests {
    @Test func secondGPUTaskWaitsUnschedulableThenRunsWhenTheGPUFrees() async throws {
        try await GlueHarness.with(cluster: { $0.gpus = 1 }) { h in
            _ = try await h.ensureQueue("gpu")
            var configuration = try await h.agentConfiguration(queues: ["gpu"])
            configuration.queues[0].pod.gpus = 1
            try await h.running(configuration) { _, _ in
                let first = try await h.enqueueScriptTask("first", queue: "gpu", script: "import time\nprint('first has the gpu', flush=True)\ntime.sleep(3)\n")
                _ = try await h.eventually("the first task runs", timeout: .seconds(60)) { () -> Bool? in
                    try await h.task(first)["status"]?.stringValue == "in_progress" ? true : nil
                }
                let second = try await h.enqueueScriptTask("second", queue: "gpu", script: "print('second got the gpu')\n")
                let waiting = try await h.eventually("the second task's pending reason", timeout: .seconds(30)) { () -> String? in
                    let message = try await h.task(second)["status_message"]?.stringValue ?? ""
                    return message.contains("Unschedulable") ? message : nil
                }
                #expect(waiting.contains("nvidia.com/gpu"))
                for task in [first, second] {
                    _ = try await h.eventually("completed", timeout: .seconds(90)) { () -> Bool? in
                        try await h.task(task)["status"]?.stringValue == "completed" ? true : nil
                    }
                }
                let log = try await h.session.taskLog(task: second).events.compactMap { $0["msg"]?.stringValue }.joined(separator: "\n")
                #expect(log.contains("Kubernetes Pod status: Unschedulable"))
                #expect(log.contains("second got the gpu"))
            }
        }
    }
}
