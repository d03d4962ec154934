import JSONValue
import Foundation

/// Typed reads over a pod kept as `JSONValue`: only what controllers look at.
public struct PodView: Sendable, Equatable {
    public struct Condition: Sendable, Equatable {
        public var type: String
        public var status: String
        public var reason: String?
        public var message: String?
    }

    public enum ContainerState: Sendable, Equatable {
        case waiting(reason: String?, message: String?)
        case running(startedAt: Date?)
        case terminated(exitCode: Int, reason: String?, message: String?, finishedAt: Date?)
        case unknown
    }

    public struct ContainerStatus: Sendable, Equatable {
        public var name: String
        public var ready: Bool
        public var restartCount: Int
        public var image: String?
        public var state: ContainerState
    }

    public let object: JSONValue
    public init(_ object: JSONValue) { self.object = object }

    public var name: String { object[path: "metadata", "name"]?.stringValue ?? "" }
    public var namespace: String { object[path: "metadata", "namespace"]?.stringValue ?? "" }
    public var uid: String? { object[path: "metadata", "uid"]?.stringValue }
    public var resourceVersion: String? { object[path: "metadata", "resourceVersion"]?.stringValue }
    public var labels: [String: String] {
        (object[path: "metadata", "labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }
    public var annotations: [String: String] {
        (object[path: "metadata", "annotations"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }
    public var creationTimestamp: Date? { object[path: "metadata", "creationTimestamp"]?.stringValue.flatMap(KubeTime.parse) }
    public var deletionTimestamp: Date? { object[path: "metadata", "deletionTimestamp"]?.stringValue.flatMap(KubeTime.parse) }
    public var nodeName: String? { object[path: "spec", "nodeName"]?.stringValue }
    /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`.
    public var phase: String { object[path: "status", "phase"]?.stringValue ?? "Pending" }
    public var reason: String? { object[path: "status", "reason"]?.stringValue }
    public var message: String? { object[path: "status", "message"]?.stringValue }

    public var conditions: [Condition] {
        (object[path: "status", "conditions"]?.arrayValue ?? []).map {
            Condition(
                type: $0["type"]?.stringValue ?? "", status: $0["status"]?.stringValue ?? "Unknown",
                reason: $0["reason"]?.stringValue, message: $0["message"]?.stringValue)
        }
    }

    public func condition(_ type: String) -> Condition? { conditions.first { $0.type == type } }

    public var initContainerStatuses: [ContainerStatus] { Self.statuses(object[path: "status", "initContainerStatuses"]) }
    public var containerStatuses: [ContainerStatus] { Self.statuses(object[path: "status", "containerStatuses"]) }

    static func statuses(_ value: JSONValue?) -> [ContainerStatus] {
        (value?.arrayValue ?? []).map { status in
            ContainerStatus(
                name: status["name"]?.stringValue ?? "", ready: status["ready"]?.boolValue ?? false,
                restartCount: Int(status["restartCount"]?.intValue ?? 0), image: status["image"]?.stringValue,
                state: state(status["state"]))
        }
    }

    static func state(_ value: JSONValue?) -> ContainerState {
        if let waiting = value?["waiting"] {
            return .waiting(reason: waiting["reason"]?.stringValue, message: waiting["message"]?.stringValue)
        }
        if let running = value?["running"] {
            return .running(startedAt: running["startedAt"]?.stringValue.flatMap(KubeTime.parse))
        }
        if let terminated = value?["terminated"] {
            return .terminated(
                exitCode: Int(terminated["exitCode"]?.intValue ?? -1), reason: terminated["reason"]?.stringValue,
                message: terminated["message"]?.stringValue, finishedAt: terminated["finishedAt"]?.stringValue.flatMap(KubeTime.parse))
        }
        return .unknown
    }
}

extension KubeClient {
    /// Records a core/v1 Event about an object, as controllers do to explain themselves in `kubectl describe`.
    @discardableResult
    public func recordEvent(
        about object: JSONValue, type: String = "Normal", reason: String, message: String, component: String = "clearml-glue"
    ) async throws -> JSONValue {
        let namespace = object[path: "metadata", "namespace"]?.stringValue ?? self.namespace
        let name = object[path: "metadata", "name"]?.stringValue ?? ""
        let now = JSONValue.string(KubeTime.format(Date()))
        var involved: JSONValue = [
            "kind": object["kind"] ?? "Pod", "namespace": .string(namespace), "name": .string(name),
            "apiVersion": object["apiVersion"] ?? "v1",
        ]
        if let uid = object[path: "metadata", "uid"] { involved["uid"] = uid }
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let event: JSONValue = [
            "metadata": ["name": .string("\(name).\(suffix)"), "namespace": .string(namespace)],
            "involvedObject": involved, "reason": .string(reason), "message": .string(message), "type": .string(type),
            "source": ["component": .string(component)], "firstTimestamp": now, "lastTimestamp": now, "count": 1,
            "reportingComponent": .string(component),
        ]
        return try await create(.events, namespace: namespace, event)
    }
}
