import JSONValue
import Foundation
import KubeAPI

/// Pure edits of a pod's `status`, in the shapes the kubelet writes.
enum PodStatus {
    static func now() -> JSONValue { .string(KubeTime.format(Date())) }

    /// Sets a condition; `lastTransitionTime` moves only when the status actually changes.
    static func setCondition(_ pod: inout JSONValue, _ type: String, _ status: Bool, reason: String? = nil, message: String? = nil) {
        var conditions = pod[path: "status", "conditions"]?.arrayValue ?? []
        let value = status ? "True" : "False"
        var condition: JSONValue = ["type": .string(type), "status": .string(value), "lastProbeTime": .null, "lastTransitionTime": now()]
        if let reason { condition["reason"] = .string(reason) }
        if let message { condition["message"] = .string(message) }
        if let index = conditions.firstIndex(where: { $0["type"]?.stringValue == type }) {
            if conditions[index]["status"]?.stringValue == value { condition["lastTransitionTime"] = conditions[index]["lastTransitionTime"] }
            conditions[index] = condition
        } else {
            conditions.append(condition)
        }
        let order = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
        conditions.sort { (order.firstIndex(of: $0["type"]?.stringValue ?? "") ?? 9) < (order.firstIndex(of: $1["type"]?.stringValue ?? "") ?? 9) }
        pod[path: "status", "conditions"] = .array(conditions)
    }

    static func waiting(_ reason: String, _ message: String? = nil) -> JSONValue {
        var state: JSONValue = ["reason": .string(reason)]
        if let message { state["message"] = .string(message) }
        return ["waiting": state]
    }

    static func running(since date: Date) -> JSONValue { ["running": ["startedAt": .string(KubeTime.format(date))]] }

    static func terminated(exitCode: Int32, reason: String, startedAt: Date?, finishedAt: Date, message: String? = nil) -> JSONValue {
        var state: JSONValue = [
            "exitCode": .int(Int64(exitCode)), "reason": .string(reason), "finishedAt": .string(KubeTime.format(finishedAt)),
        ]
        if let startedAt { state["startedAt"] = .string(KubeTime.format(startedAt)) }
        if let message { state["message"] = .string(message) }
        return ["terminated": state]
    }

    /// Replaces one container's status entry (state, ready, restartCount, lastState).
    static func setContainer(
        _ pod: inout JSONValue, initContainer: Bool, name: String, state: JSONValue, ready: Bool,
        restartCount: Int? = nil, lastState: JSONValue? = nil
    ) {
        let key = initContainer ? "initContainerStatuses" : "containerStatuses"
        var statuses = pod[path: "status", key]?.arrayValue ?? []
        guard let index = statuses.firstIndex(where: { $0["name"]?.stringValue == name }) else { return }
        statuses[index]["state"] = state
        statuses[index]["ready"] = .bool(ready)
        statuses[index]["started"] = .bool(state["running"] != nil)
        if let restartCount { statuses[index]["restartCount"] = .int(Int64(restartCount)) }
        if let lastState { statuses[index]["lastState"] = lastState }
        pod[path: "status", key] = .array(statuses)
    }

    /// Status right after binding: every container waiting, conditions as the kubelet first reports them.
    static func initial(_ pod: inout JSONValue, podIP: String) {
        let inits = pod[path: "spec", "initContainers"]?.arrayValue ?? []
        let apps = pod[path: "spec", "containers"]?.arrayValue ?? []
        func entry(_ c: JSONValue, waitingReason: String) -> JSONValue {
            [
                "name": c["name"] ?? "", "image": c["image"] ?? "", "imageID": "", "ready": false, "restartCount": 0,
                "started": false, "state": waiting(waitingReason), "lastState": [:],
            ]
        }
        if !inits.isEmpty {
            pod[path: "status", "initContainerStatuses"] = .array(inits.map { entry($0, waitingReason: "PodInitializing") })
        }
        pod[path: "status", "containerStatuses"] = .array(apps.map { entry($0, waitingReason: inits.isEmpty ? "ContainerCreating" : "PodInitializing") })
        pod[path: "status", "hostIP"] = .string(podIP)
        pod[path: "status", "hostIPs"] = [["ip": .string(podIP)]]
        pod[path: "status", "podIP"] = .string(podIP)
        pod[path: "status", "podIPs"] = [["ip": .string(podIP)]]
        pod[path: "status", "startTime"] = now()
        pod[path: "status", "qosClass"] = "BestEffort"
        setCondition(&pod, "PodReadyToStartContainers", true)
        if inits.isEmpty {
            setCondition(&pod, "Initialized", true)
        } else {
            setCondition(&pod, "Initialized", false, reason: "ContainersNotInitialized",
                         message: "containers with incomplete status: [\(inits.compactMap { $0["name"]?.stringValue }.joined(separator: " "))]")
        }
        let names = apps.compactMap { $0["name"]?.stringValue }.joined(separator: " ")
        setCondition(&pod, "Ready", false, reason: "ContainersNotReady", message: "containers with unready status: [\(names)]")
        setCondition(&pod, "ContainersReady", false, reason: "ContainersNotReady", message: "containers with unready status: [\(names)]")
    }
}
