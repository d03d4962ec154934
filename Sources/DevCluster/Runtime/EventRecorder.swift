import JSONValue
import Foundation
import KubeAPI

/// Writes core/v1 Events about pods, as the scheduler and kubelet do, so `kubectl describe` shows them.
struct EventRecorder: Sendable {
    let store: ObjectStore
    let nodeName: String

    func record(_ pod: JSONValue, type: String = "Normal", reason: String, message: String, component: String = "kubelet", fieldPath: String? = nil) async {
        let namespace = pod[path: "metadata", "namespace"]?.stringValue ?? "default"
        let name = pod[path: "metadata", "name"]?.stringValue ?? ""
        // Sub-second stamps keep `kubectl describe` listing events in the order they happened.
        let now = JSONValue.string(KubeTime.formatMicro(Date()))
        var involved: JSONValue = [
            "kind": "Pod", "namespace": .string(namespace), "name": .string(name), "apiVersion": "v1",
            "uid": pod[path: "metadata", "uid"] ?? "", "resourceVersion": pod[path: "metadata", "resourceVersion"] ?? "",
        ]
        if let fieldPath { involved["fieldPath"] = .string(fieldPath) }
        var source: JSONValue = ["component": .string(component)]
        if component == "kubelet" { source["host"] = .string(nodeName) }
        let event: JSONValue = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": [
                "name": .string("\(name).\(String(UInt64.random(in: 1...UInt64.max), radix: 16))"), "namespace": .string(namespace),
                "uid": .string(UUID().uuidString.lowercased()), "creationTimestamp": now,
            ],
            "involvedObject": involved, "reason": .string(reason), "message": .string(message), "type": .string(type),
            "source": source, "firstTimestamp": now, "lastTimestamp": now, "count": 1,
            "reportingComponent": .string(component), "reportingInstance": .string(component == "kubelet" ? nodeName : ""),
        ]
        _ = try? await store.insert(.events, event)
    }
}
