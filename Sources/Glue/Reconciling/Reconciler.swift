import ClearMLAPI
import Foundation
import JSONValue
import Logging

/// Compares ClearML with the pod cache at start and every `reconcileInterval`, and repairs what a crash
/// or a lost call left behind (level-triggered: it reads the current state, never what happened):
/// - a task parked in the pending queue without a pod gets its pod (same name: a 409 means done), unless
///   this process watched its pod go within `monitorGrace`: then the pod monitor is deciding (requeue at
///   the front, counted, or fail) and a new pod here would skip that decision;
/// - a queued task in no queue (taken, then the glue died) goes back to the front of its queue;
/// - a task running under this glue's worker id without a pod fails with the reason.
/// The last two must be seen on two passes in a row, so a task another client is moving right now is
/// left alone.
struct Reconciler: Sendable {
    let context: GlueContext
    let launcher: TaskLauncher
    let gate: LeadershipGate

    func run() async {
        var memory = ReconcileMemory()
        while !Task.isCancelled {
            if await gate.mayLaunch(), await context.cache.isSynced {
                await pass(&memory)
                try? await Task.sleep(for: context.configuration.reconcileInterval)
            } else {
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    func pass(_ memory: inout ReconcileMemory) async {
        do {
            try await reconcile(&memory)
        } catch {
            context.logger.warning("reconcile pass failed; retrying next interval", metadata: ["error": "\(error)"])
        }
    }

    private func reconcile(_ memory: inout ReconcileMemory) async throws {
        let session = context.session
        var queued: [String: String] = [:]
        for queue in context.queues.map(\.id) + [context.pendingQueueID] {
            for task in try await session.queue(id: queue).entries { queued[task] = queue }
        }
        let pods = await context.cache.all()

        // Parked without a pod.
        let parked = queued.filter { $0.value == context.pendingQueueID && pods[$0.key] == nil }.map(\.key)
        for task in parked where !(await context.inFlight.contains(task)) {
            if await context.cache.podRemoved(task: task, within: Self.monitorGrace) { continue }
            guard let queue = try await parkedQueue(task) else { continue }
            context.logger.notice("task parked without a pod; creating it", metadata: ["task_id": "\(task)", "queue": "\(queue.name)"])
            await context.inFlight.insert(task)
            _ = await launcher.create(task: task, queue: queue, takenAt: .now, logger: context.logger.with(["task_id": "\(task)"]))
            await context.inFlight.remove(task)
        }

        // Taken off a queue, then left in none.
        let ours = Set(context.queues.map(\.id) + [context.pendingQueueID])
        var stranded: Set<String> = []
        for task in try await session.tasks(["status": ["queued"], "only_fields": ["id", "execution.queue"]]) {
            let id = task.document["id"]?.stringValue ?? ""
            guard let queue = task.document.value(at: "execution.queue")?.stringValue, ours.contains(queue),
                  queued[id] == nil, pods[id] == nil, !(await context.inFlight.contains(id)) else { continue }
            stranded.insert(id)
        }
        for task in memory.confirm(stranded: stranded) {
            let queue = try await parkedQueue(task) ?? context.queues.first
            guard let queue else { continue }
            context.logger.warning("queued task was in no queue; returning it to the front of its queue", metadata: ["task_id": "\(task)", "queue": "\(queue.name)"])
            await context.console(task, "K8S glue: task found in no queue (a glue restart interrupted its launch); returned to \(queue.name)")
            _ = await launcher.returnToQueue(task, queue, reason: "k8s glue: recovered after a restart", logger: context.logger.with(["task_id": "\(task)"]))
        }

        // Running under this glue with no pod.
        let prefix = context.configuration.workerID + ":"
        var orphaned: Set<String> = []
        for task in try await session.tasks(["status": ["in_progress"], "only_fields": ["id", "last_worker"]]) {
            let id = task.document["id"]?.stringValue ?? ""
            if task.document["last_worker"]?.stringValue?.hasPrefix(prefix) == true, pods[id] == nil { orphaned.insert(id) }
        }
        for task in memory.confirm(orphaned: orphaned) where await context.cache.pod(task: task) == nil {
            _ = await launcher.fail(task, reason: "pod_lost", message: "K8S glue: the task's pod no longer exists (deleted while the glue was not watching)",
                                    logger: context.logger.with(["task_id": "\(task)"]))
        }
    }

    /// How long a parked task whose pod was just removed is left to the pod monitor. If the monitor's
    /// requeue failed, the task is still parked afterwards and gets its pod here.
    static let monitorGrace = Duration.seconds(30)

    /// The queue a parked task came from: its `k8s-queue-id` property, which the launcher writes.
    private func parkedQueue(_ task: String) async throws -> QueueRef? {
        guard let document = try await context.session.taskFields(id: task, ["id", "status", "hyperparams.properties"])?.document else { return nil }
        guard document["status"]?.stringValue == "queued" else { return nil }
        if let id = document[path: "hyperparams", "properties", "k8s-queue-id", "value"]?.stringValue, let queue = context.queue(id: id) { return queue }
        if let name = document[path: "hyperparams", "properties", "k8s-queue", "value"]?.stringValue, let queue = context.queue(name: name) { return queue }
        return context.queues.first
    }
}

/// What the previous pass suspected, so only what is still wrong a pass later is repaired.
struct ReconcileMemory {
    private var stranded: Set<String> = []
    private var orphaned: Set<String> = []

    mutating func confirm(stranded now: Set<String>) -> Set<String> {
        defer { stranded = now }
        return now.intersection(stranded)
    }

    mutating func confirm(orphaned now: Set<String>) -> Set<String> {
        defer { orphaned = now }
        return now.intersection(orphaned)
    }
}
