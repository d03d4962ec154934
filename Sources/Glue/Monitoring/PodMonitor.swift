import ClearMLAPI
import Foundation
import JSONValue
import KubeAPI
import Logging

/// Follows this glue's pods (from the cache's changes) and their tasks (one batched status read a
/// second), decides with `PodDecision`, and carries the decisions out: pending reasons to the task,
/// fatal reasons fail it, lost pods re-enqueue or fail it, finished pods are deleted. Every decision is
/// also a Kubernetes Event on the pod.
struct PodMonitor: Sendable {
    let context: GlueContext
    let launcher: TaskLauncher
    let gate: LeadershipGate

    static let runningSweepEvery = 10

    enum Signal: Sendable {
        case change(PodChange)
        case tick
    }

    func run() async {
        let (signals, continuation) = AsyncStream.makeStream(of: Signal.self, bufferingPolicy: .unbounded)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await change in context.cache.changes { continuation.yield(.change(change)) }
                continuation.finish()
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: context.configuration.taskStatusInterval)
                    continuation.yield(.tick)
                }
                continuation.finish()
            }
            group.addTask {
                var state = MonitorState()
                for await signal in signals {
                    if Task.isCancelled { break }
                    await handle(signal, state: &state)
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func handle(_ signal: Signal, state: inout MonitorState) async {
        switch signal {
        case .change(let change):
            state.pending[change.taskID] = change
        case .tick:
            context.metrics.podsByPhase(await context.cache.podsByPhase())
            await reportUnservedQueuePods(state: &state)
            guard await gate.mayLaunch() else { return }
            // Changed pods, and pods whose task decides what happens next (pending: abort, grace timers;
            // finished: cleanup), every tick; running pods, whose agent handles aborts itself, only every
            // `runningSweepEvery` ticks (a task finished while its pod still runs is caught then).
            state.ticks += 1
            let sweepRunning = state.ticks % Self.runningSweepEvery == 0
            let pods = await context.cache.all()
            var due = state.pending
            let changed = Set(state.pending.keys)
            state.pending = [:]
            for (task, pod) in pods where due[task] == nil && (sweepRunning || pod[path: "status", "phase"]?.stringValue != "Running") {
                due[task] = PodChange(taskID: task, pod: pod, lastSeen: pod)
            }
            guard !due.isEmpty else { return }
            await refreshTasks(Array(due.keys), state: &state)
            for change in due.values {
                // A running pod whose task is not finished needs nothing (its agent handles aborts): skip
                // the evaluation, which is most of a sweep's cost with thousands of pods.
                if !changed.contains(change.taskID), change.pod?[path: "status", "phase"]?.stringValue == "Running",
                   let task = state.tasks[change.taskID], !PodDecision.finalStatuses.contains(task.status) {
                    continue
                }
                await evaluate(change, state: &state)
            }
        }
    }

    private func refreshTasks(_ ids: [String], state: inout MonitorState) async {
        let unique = Array(Set(ids))
        for start in stride(from: 0, to: unique.count, by: 500) {
            let chunk = Array(unique[start..<min(start + 500, unique.count)])
            do {
                let found = try await context.session.tasks(["id": .array(chunk.map(JSONValue.string)), "only_fields": ["id", "status", "status_message", "execution.queue"]])
                var seen: Set<String> = []
                for task in found {
                    let id = task.document["id"]?.stringValue ?? ""
                    seen.insert(id)
                    state.record(id, ObservationBuilder.TaskState(status: task.document["status"]?.stringValue ?? "unknown",
                                                                  statusMessage: task.document["status_message"]?.stringValue,
                                                                  queue: task.document.value(at: "execution.queue")?.stringValue))
                }
                // A pod whose task was deleted has nothing left to run for.
                for id in chunk where !seen.contains(id) { state.record(id, ObservationBuilder.TaskState(status: "closed")) }
            } catch {
                context.logger.warning("could not read task statuses; pod decisions wait", metadata: ["error": "\(error)"])
                for id in chunk { state.tasks.removeValue(forKey: id) }
            }
        }
    }

    private func evaluate(_ change: PodChange, state: inout MonitorState) async {
        guard let task = state.tasks[change.taskID] else {
            if change.pod == nil { state.pending[change.taskID] = change }
            return
        }
        // Its pod gone and the task already back in a served queue: an earlier decision (or a user) has
        // dealt with it; the next pod is the scheduler's business.
        if change.pod == nil, task.status == "queued", let queue = task.queue, queue != context.pendingQueueID {
            state.forget(change.taskID)
            return
        }
        let now = ContinuousClock.now
        var waiting: [String: Duration] = [:]
        let view = PodView(change.pod ?? change.lastSeen ?? [:])
        for status in view.initContainerStatuses + view.containerStatuses {
            if case .waiting(let reason?, _) = status.state {
                waiting["\(status.name)/\(reason)"] = await context.cache.waitingDuration(task: change.taskID, container: status.name, reason: reason, now: now)
            }
        }
        let finished = view.phase == "Succeeded" || view.phase == "Failed"
        let finishedFor = finished && change.pod != nil ? await context.cache.finishedDuration(task: change.taskID, now: now) : nil
        var observation = ObservationBuilder.observe(
            taskID: change.taskID, pod: change.pod, lastSeen: change.lastSeen, task: task, lastReported: state.reported[change.taskID],
            waitingFor: { waiting["\($0)/\($1)"] ?? .zero }, finishedFor: finishedFor,
            taskFinalFor: state.finalSince[change.taskID].map { now - $0 } ?? .zero, pendingQueue: context.pendingQueueID)
        if observation.phase == .pending, observation.waiting.isEmpty, observation.unschedulable == nil {
            await refreshWarnings(change.taskID, pod: view, now: now, state: &state)
            observation.recentWarnings = state.warnings[change.taskID] ?? []
        }
        let actions = PodDecision.decide(observation, policy: context.configuration.policy)
        for action in actions where state.begin(change.taskID, action) {
            await perform(action, change: change, observation: observation, state: &state)
        }
        if change.pod == nil { state.forget(change.taskID) }
    }

    private func perform(_ action: PodAction, change: PodChange, observation: PodObservation, state: inout MonitorState) async {
        let pod = change.pod ?? change.lastSeen ?? [:]
        var logger = context.logger
        logger[metadataKey: "task_id"] = "\(change.taskID)"
        logger[metadataKey: "pod"] = "\(PodView(pod).namespace)/\(observation.podName)"
        switch action {
        case .reportPending(let message):
            state.reported[change.taskID] = message
            logger.info("pod pending", metadata: ["reason": "\(message)"])
            do {
                _ = try await context.session.updateTask(id: change.taskID, ["status_message": .string("K8S glue status: \(message)")])
            } catch {
                logger.warning("could not write the pending reason to the task", metadata: ["error": "\(error)"])
                state.reported[change.taskID] = nil
            }
            await context.console(change.taskID, "Kubernetes Pod status: \(message)")
            await context.recordEvent(on: pod, type: "Warning", reason: "TaskPending", message: message)
        case .deletePod(let reason):
            logger.info("deleting pod", metadata: ["reason": "\(reason)"])
            await context.recordEvent(on: pod, reason: "DeletingPod", message: reason)
            do {
                // In Job mode the Job owns the pod: deleting the Job (named as the pod would be) takes both.
                if context.configuration.render.kind == .job {
                    let job = try KubernetesNames.podName(prefix: context.configuration.render.podNamePrefix, taskID: change.taskID)
                    _ = try await context.kube.delete(.jobs, namespace: PodView(pod).namespace, name: job, options: DeleteOptions(propagationPolicy: .background))
                } else {
                    _ = try await context.kube.delete(.pods, namespace: PodView(pod).namespace, name: observation.podName,
                                                      options: DeleteOptions(propagationPolicy: .background))
                }
                await context.health.clearForbidden(.deletePods)
            } catch let error as KubeError where error.kind == .notFound {
            } catch {
                if Task.isCancelled { return }
                var metadata: Logger.Metadata = ["error": "\(error)"]
                if let error = error as? KubeError, KubeAccess.isRBACDenial(error) {
                    let resource: ResourceType = context.configuration.render.kind == .job ? .jobs : .pods
                    metadata["missing_rule"] = "\(KubeAccess.missingRule(verb: "delete", resource: resource, namespace: PodView(pod).namespace))"
                    await context.health.reportForbidden(.deletePods, error.message)
                }
                logger.warning("could not delete the pod; retrying next round", metadata: metadata)
                state.retry(change.taskID, action)
            }
        case .failTask(let reason):
            await context.recordEvent(on: pod, type: "Warning", reason: "TaskFailed", message: reason)
            _ = await launcher.fail(change.taskID, reason: Self.metricReason(observation), message: reason, logger: logger)
        case .requeueTask(let reason):
            state.requeues[change.taskID, default: 0] += 1
            if state.requeues[change.taskID, default: 0] > context.configuration.policy.maxRequeues {
                let message = "K8S glue error: \(reason); the task lost its pod \(state.requeues[change.taskID] ?? 0) times"
                await context.recordEvent(on: pod, type: "Warning", reason: "TaskFailed", message: message)
                _ = await launcher.fail(change.taskID, reason: "requeue_limit", message: message, logger: logger)
                return
            }
            await context.recordEvent(on: pod, type: "Warning", reason: "TaskRequeued", message: reason)
            let labels = PodView(pod).labels
            guard let queue = labels["clearml-agent-queue"].flatMap(context.queue(id:)) else {
                _ = await launcher.fail(change.taskID, reason: "lost", message: "K8S glue: \(reason); its queue is no longer served", logger: logger)
                return
            }
            logger.notice("returning the task to its queue", metadata: ["reason": "\(reason)"])
            await context.console(change.taskID, "K8S glue: \(reason); task returned to the front of queue \(queue.name)")
            _ = await launcher.returnToQueue(change.taskID, queue, reason: "k8s glue: \(reason)", logger: logger, backoff: .zero)
        }
    }

    /// Warning Events about a pod that is pending for no reason its status shows (FailedMount,
    /// FailedCreatePodSandBox...), read at most every 5 s per pod; the glue's own events are skipped.
    /// With `--pod-clearml-conf` the pod is created before its Secret (which needs the pod's uid), so a quick
    /// kubelet may report FailedMount for that volume once; the launcher creates the Secret (or removes the pod
    /// and requeues the task), so that event says nothing about the task.
    static func isOwnConfSecretRace(_ event: JSONValue) -> Bool {
        event["reason"]?.stringValue == "FailedMount"
            && event["message"]?.stringValue?.contains("volume \"\(PodRenderSettings.podClearMLConfVolume)\"") == true
    }

    private func refreshWarnings(_ task: String, pod: PodView, now: ContinuousClock.Instant, state: inout MonitorState) async {
        if let last = state.warningsReadAt[task], now - last < .seconds(5) { return }
        state.warningsReadAt[task] = now
        do {
            let events = try await context.kube.list(.events, namespace: pod.namespace, options: ListOptions(
                fieldSelector: "involvedObject.name=\(pod.name),type=Warning"))
            state.warnings[task] = events.items
                .filter { $0[path: "source", "component"]?.stringValue != "clearml-glue" && $0["reportingComponent"]?.stringValue != "clearml-glue" }
                .filter { !Self.isOwnConfSecretRace($0) }
                .suffix(3).map { PodDecision.describe($0["reason"]?.stringValue ?? "Warning", $0["message"]?.stringValue) }
        } catch let error as KubeError where KubeAccess.isRBACDenial(error) {
            // Without this rule FailedMount and sandbox errors never reach the task: say so, once.
            if !state.eventsDenied {
                state.eventsDenied = true
                context.logger.warning("RBAC denies reading pod events, so pending reasons from events are not reported", metadata: [
                    "missing_rule": "\(KubeAccess.missingRule(verb: "list", resource: .events, namespace: pod.namespace))", "error": "\(error.message)",
                ])
            }
        } catch {
            context.logger.debug("could not read the pod's events", metadata: ["pod": "\(pod.name)", "error": "\(error)"])
        }
    }

    /// Pods of a queue dropped from the configuration (a `helm upgrade` that removed it) keep running
    /// their tasks to the end and keep their place in max pods, since they use the cluster as much as
    /// any other. Said once per change at info level and as a gauge, so a stalled queue has a visible cause.
    private func reportUnservedQueuePods(state: inout MonitorState) async {
        let served = Set(context.queues.map(\.id))
        let unserved = await context.cache.livePodsByQueue().filter { !served.contains($0.key) && !$0.key.isEmpty }
        let total = unserved.values.reduce(0, +)
        context.metrics.unservedQueuePods.set(Double(total))
        guard unserved != state.unservedQueuePods else { return }
        state.unservedQueuePods = unserved
        for (queue, count) in unserved.sorted(by: { $0.key < $1.key }) {
            context.logger.info("pods of a queue this glue no longer serves keep running and count toward max pods", metadata: [
                "queue_id": "\(queue)", "pods": "\(count)",
            ])
        }
    }

    static func metricReason(_ observation: PodObservation) -> String {
        observation.waiting.first?.reason ?? observation.reason ?? (observation.phase == .gone ? "pod_deleted" : "pod_\(observation.phase.rawValue.lowercased())")
    }
}

/// The monitor's memory between rounds; owned by its single loop.
struct MonitorState {
    var tasks: [String: ObservationBuilder.TaskState] = [:]
    var reported: [String: String] = [:]
    var finalSince: [String: ContinuousClock.Instant] = [:]
    var pending: [String: PodChange] = [:]
    /// Times each task was re-enqueued after losing its pod (kept across pods, unlike the rest).
    var requeues: [String: Int] = [:]
    var ticks = 0
    var warnings: [String: [String]] = [:]
    var warningsReadAt: [String: ContinuousClock.Instant] = [:]
    var eventsDenied = false
    var unservedQueuePods: [String: Int] = [:]
    private var done: [String: Set<String>] = [:]

    mutating func record(_ id: String, _ task: ObservationBuilder.TaskState) {
        tasks[id] = task
        if PodDecision.finalStatuses.contains(task.status) {
            if finalSince[id] == nil { finalSince[id] = .now }
        } else {
            finalSince[id] = nil
        }
        if reported[id] == nil, let message = task.statusMessage, message.hasPrefix("K8S glue status: ") {
            reported[id] = String(message.dropFirst("K8S glue status: ".count))
        }
    }

    /// True the first time an action is decided for a task: decisions repeat every round, effects must not.
    mutating func begin(_ task: String, _ action: PodAction) -> Bool {
        if case .reportPending = action { return true }
        return done[task, default: []].insert("\(action)").inserted
    }

    mutating func retry(_ task: String, _ action: PodAction) { done[task]?.remove("\(action)") }

    mutating func forget(_ task: String) {
        done[task] = nil
        warnings[task] = nil
        warningsReadAt[task] = nil
        reported[task] = nil
        finalSince[task] = nil
        tasks[task] = nil
    }
}
