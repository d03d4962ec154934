import ClearMLAPI
import JSONValue

/// Claims a task for this agent, exclusively: the queue entry is removed with `queues.remove_task`
/// (which answers `removed: 1` to one caller only), then `tasks.dequeue {new_status: in_progress}` must
/// report `updated: 1`. A refused claim changes nothing.
public struct TaskClaim: Sendable {
    public let session: ClearMLSession
    public let worker: String
    public let hostname: String
    public let pod: String?
    /// `CLEARML_WORKER_TAGS` (the glue's `--child-report-tags`), reported with the worker.
    public var tags: [String] = []

    public init(session: ClearMLSession, worker: String, hostname: String, pod: String?) {
        self.session = session
        self.worker = worker
        self.hostname = hostname
        self.pod = pod
    }

    /// Returns the task as read before the claim; throws `AgentError.claimRefused` when it may not run.
    public func claim(taskID: String, requireQueue: Bool) async throws(AgentError) -> ClearMLTask {
        let task: ClearMLTask
        do { task = try await session.task(id: taskID) } catch {
            if error.isServerError(code: 400, subcode: 101) {
                throw .taskNotFound("could not find task id=\(taskID) (tasks.get_by_id: \(error)); check --id and that these credentials can see it")
            }
            throw .from(error, doing: "reading task \(taskID)")
        }
        guard case .claim(let queue) = ClaimCheck.decide(task: task, requireQueue: requireQueue, worker: worker) else {
            if case .refuse(let why) = ClaimCheck.decide(task: task, requireQueue: requireQueue, worker: worker) { throw .claimRefused(why) }
            throw .claimRefused("task \(taskID) may not be claimed")
        }
        if let queue {
            let removed: Bool
            do { removed = try await session.removeTask(queue: queue, task: taskID) } catch {
                guard error.isServerError(code: 400, subcode: 703) else { throw .from(error, doing: "taking task \(taskID) off queue \(queue)") }
                removed = false
            }
            if !removed && requireQueue {
                throw .claimRefused("task \(taskID) is not queued any more (its entry in queue \(queue) is gone): another agent claimed it, or it was dequeued")
            }
        }
        let dequeued: UpdateResult
        do { dequeued = try await session.dequeue(task: taskID, newStatus: .inProgress, statusReason: "claimed by \(worker)") } catch {
            throw .from(error, doing: "claiming task \(taskID) (tasks.dequeue)")
        }
        if requireQueue && dequeued.updated < 1 {
            let now = (try? await session.taskFields(id: taskID, ["status"]))?.status.rawValue ?? "unknown"
            throw .claimRefused("task \(taskID) is not queued (status \(now)); --require-queue only runs queued tasks")
        }
        return task
    }

    /// After the claim: `tasks.started`, the runtime properties naming this agent, and a worker report
    /// with the task (so the UI shows who runs it).
    ///
    /// `tasks.started` is forced (as upstream's agent does), so it would overwrite an abort that arrived
    /// since the claim: the server's `tasks.stop` either stopped the task or left it in progress with the
    /// message "stopping". Such a task is not marked started; the monitor's first abort poll then finds
    /// the abort and stops the run before the script starts.
    /// - Returns: whether an abort was already pending.
    @discardableResult
    public func markStarted(taskID: String) async throws(AgentError) -> Bool {
        let abortPending: Bool
        do {
            let current = try await session.taskFields(id: taskID, ["status", "status_message", "runtime"])
            abortPending = current?.status == .stopped || current?.statusMessage == "stopping"
            if !abortPending {
                _ = try await session.changeStatus(.started, task: taskID, force: true, statusReason: "worker started execution",
                                                   statusMessage: "Changed by clearml-glue agent \(worker)")
            }
            let runtime = ClaimCheck.runtime(current?.runtime ?? [:], worker: worker, hostname: hostname, pod: pod)
            _ = try await session.editTask(id: taskID, ["runtime": runtime], force: true)
        } catch {
            throw .from(error, doing: "marking task \(taskID) started")
        }
        try? await session.registerWorker(worker, queues: [], tags: tags)
        try? await session.reportWorkerStatus(worker, task: taskID, tags: tags)
        return abortPending
    }
}
