import ClearMLAPI
import JSONValue

/// The pure part of claiming a task: may this agent take it, given what the server says now?
public enum ClaimCheck {
    /// Runtime property naming the worker that executes the task (ours; upstream writes only the hostname).
    public static let workerProperty = "_exec_agent_worker"
    public static let hostnameProperty = "_exec_agent_hostname"
    public static let podProperty = "_exec_agent_pod"

    public enum Decision: Sendable, Equatable {
        /// Take it off `queue` (when known) and mark it in progress.
        case claim(queue: String?)
        case refuse(String)
    }

    /// - Parameters:
    ///   - requireQueue: `--require-queue`: only a `queued` task may be taken.
    ///   - worker: this agent's worker id (a restart of the same worker may take its own task back).
    public static func decide(task: ClearMLTask, requireQueue: Bool, worker: String) -> Decision {
        let owner = task.runtime[workerProperty]?.stringValue
        let status = task.status
        if status == .queued {
            let queue = task.executionQueue.flatMap { $0.isEmpty ? nil : $0 }
            return .claim(queue: queue)
        }
        if requireQueue {
            var detail = "status \(status.rawValue)"
            if status == .inProgress, let owner, !owner.isEmpty { detail += ", executed by worker \(owner)" }
            return .refuse("task \(task.id) is not queued (\(detail)); --require-queue only runs queued tasks. Enqueue it again to run it.")
        }
        if status == .inProgress, let owner, !owner.isEmpty, owner != worker {
            return .refuse("task \(task.id) is already being executed by worker \(owner); refusing to run it twice. Stop it first, or enqueue a clone.")
        }
        return .claim(queue: nil)
    }

    /// The task's runtime with this agent's identity merged in (`runtime` is replaced as a whole by
    /// `tasks.edit`, so it is read, changed and written back, as upstream does).
    public static func runtime(_ current: [String: JSONValue], worker: String, hostname: String, pod: String?) -> JSONValue {
        var runtime = current
        runtime[hostnameProperty] = .string(hostname)
        runtime[workerProperty] = .string(worker)
        if let pod, !pod.isEmpty { runtime[podProperty] = .string(pod) }
        return .object(runtime)
    }
}
