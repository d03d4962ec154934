import JSONValue
import Foundation
import KubeAPI

/// Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): the columns `kubectl get`
/// shows, computed the way the apiserver's printers compute them.
enum TableView {
    static func wantsTable(_ accept: String?) -> Bool { accept?.contains("as=Table") ?? false }

    static func table(_ resource: ResourceType, objects: [JSONValue], resourceVersion: String, includeObject: String?) -> JSONValue {
        let columns: [(String, String, Int)]
        switch resource {
        case .pods:
            columns = [("Name", "string", 0), ("Ready", "string", 0), ("Status", "string", 0), ("Restarts", "string", 0), ("Age", "string", 0),
                       ("IP", "string", 1), ("Node", "string", 1), ("Nominated Node", "string", 1), ("Readiness Gates", "string", 1)]
        case .namespaces: columns = [("Name", "string", 0), ("Status", "string", 0), ("Age", "string", 0)]
        case .events: columns = [("Last Seen", "string", 0), ("Type", "string", 0), ("Reason", "string", 0), ("Object", "string", 0), ("Message", "string", 0)]
        case .nodes: columns = [("Name", "string", 0), ("Status", "string", 0), ("Roles", "string", 0), ("Age", "string", 0), ("Version", "string", 0)]
        case .deployments:
            columns = [("Name", "string", 0), ("Ready", "string", 0), ("Up-to-date", "integer", 0), ("Available", "integer", 0), ("Age", "string", 0),
                       ("Containers", "string", 1), ("Images", "string", 1), ("Selector", "string", 1)]
        case .replicaSets:
            columns = [("Name", "string", 0), ("Desired", "integer", 0), ("Current", "integer", 0), ("Ready", "integer", 0), ("Age", "string", 0),
                       ("Containers", "string", 1), ("Images", "string", 1), ("Selector", "string", 1)]
        case .services:
            columns = [("Name", "string", 0), ("Type", "string", 0), ("Cluster-IP", "string", 0), ("External-IP", "string", 0), ("Port(s)", "string", 0),
                       ("Age", "string", 0), ("Selector", "string", 1)]
        case .podDisruptionBudgets:
            columns = [("Name", "string", 0), ("Min Available", "string", 0), ("Max Unavailable", "string", 0), ("Allowed Disruptions", "integer", 0), ("Age", "string", 0)]
        default: columns = [("Name", "string", 0), ("Age", "string", 0)]
        }
        let definitions: [JSONValue] = columns.map { name, type, priority in
            ["name": .string(name), "type": .string(type), "format": .string(name == "Name" ? "name" : ""), "description": .string(name), "priority": .int(Int64(priority))]
        }
        let rows: [JSONValue] = objects.map { object in
            var row: JSONValue = ["cells": .array(cells(resource, object))]
            if includeObject == "Object" {
                row["object"] = object
            } else if includeObject != "None" {
                row["object"] = ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": object["metadata"] ?? [:]]
            }
            return row
        }
        return [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": ["resourceVersion": .string(resourceVersion)],
            "columnDefinitions": .array(definitions), "rows": .array(rows),
        ]
    }

    static func age(_ object: JSONValue, key: String = "creationTimestamp") -> String {
        guard let stamp = object[path: "metadata", key]?.stringValue, let date = KubeTime.parse(stamp) else { return "<unknown>" }
        return humanDuration(Date().timeIntervalSince(date))
    }

    /// kubectl's short durations: 45s, 5m10s, 3h, 2d.
    static func humanDuration(_ seconds: Double) -> String {
        let s = max(0, Int(seconds))
        if s < 120 { return "\(s)s" }
        if s < 600 { return "\(s / 60)m\(s % 60 == 0 ? "" : "\(s % 60)s")" }
        if s < 3600 * 3 { return "\(s / 60)m" }
        if s < 86400 * 2 { return "\(s / 3600)h" }
        return "\(s / 86400)d"
    }

    static func cells(_ resource: ResourceType, _ object: JSONValue) -> [JSONValue] {
        let name = JSONValue.string(object[path: "metadata", "name"]?.stringValue ?? "")
        switch resource {
        case .pods:
            let statuses = object[path: "status", "containerStatuses"]?.arrayValue ?? []
            let total = (object[path: "spec", "containers"]?.arrayValue ?? []).count
            let ready = statuses.filter { $0["ready"]?.boolValue == true }.count
            let restarts = statuses.reduce(Int64(0)) { $0 + ($1["restartCount"]?.intValue ?? 0) }
            let ip = object[path: "status", "podIP"]?.stringValue ?? "<none>"
            return [name, .string("\(ready)/\(total)"), .string(podStatus(object)), .string(String(restarts)), .string(age(object)),
                    .string(ip), .string(object[path: "spec", "nodeName"]?.stringValue ?? "<none>"), "<none>", "<none>"]
        case .namespaces:
            return [name, .string(object[path: "status", "phase"]?.stringValue ?? "Active"), .string(age(object))]
        case .events:
            let involved = object["involvedObject"] ?? [:]
            let target = "\((involved["kind"]?.stringValue ?? "").lowercased())/\(involved["name"]?.stringValue ?? "")"
            return [.string(age(object)), object["type"] ?? "", object["reason"] ?? "", .string(target), object["message"] ?? ""]
        case .nodes:
            return [name, "Ready", "<none>", .string(age(object)), .string(object[path: "status", "nodeInfo", "kubeletVersion"]?.stringValue ?? "")]
        case .deployments, .replicaSets:
            func count(_ field: String) -> Int64 { object[path: "status", field]?.intValue ?? 0 }
            let desired = object[path: "spec", "replicas"]?.intValue ?? 1
            let containers = object[path: "spec", "template", "spec", "containers"]?.arrayValue ?? []
            let names = JSONValue.string(containers.compactMap { $0["name"]?.stringValue }.joined(separator: ","))
            let images = JSONValue.string(containers.compactMap { $0["image"]?.stringValue }.joined(separator: ","))
            let selector = JSONValue.string(WorkloadValidation.selectorString(object[path: "spec", "selector"] ?? [:]))
            if resource == .deployments {
                return [name, .string("\(count("readyReplicas"))/\(desired)"), .int(count("updatedReplicas")), .int(count("availableReplicas")),
                        .string(age(object)), names, images, selector]
            }
            return [name, .int(desired), .int(count("replicas")), .int(count("readyReplicas")), .string(age(object)), names, images, selector]
        case .services:
            let ports = (object[path: "spec", "ports"]?.arrayValue ?? []).map { port in
                "\(port["port"]?.intValue ?? 0)\(port["nodePort"]?.intValue.map { ":\($0)" } ?? "")/\(port["protocol"]?.stringValue ?? "TCP")"
            }
            let selector = (object[path: "spec", "selector"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.stringValue ?? "")" }
            return [name, .string(object[path: "spec", "type"]?.stringValue ?? "ClusterIP"), .string(object[path: "spec", "clusterIP"]?.stringValue ?? "<none>"),
                    "<none>", .string(ports.isEmpty ? "<none>" : ports.joined(separator: ",")), .string(age(object)),
                    .string(selector.isEmpty ? "<none>" : selector.joined(separator: ","))]
        case .podDisruptionBudgets:
            func shown(_ value: JSONValue?) -> JSONValue {
                switch value { case .int(let n)?: .string(String(n)); case .string(let text)?: .string(text); default: "N/A" }
            }
            return [name, shown(object[path: "spec", "minAvailable"]), shown(object[path: "spec", "maxUnavailable"]),
                    .int(object[path: "status", "disruptionsAllowed"]?.intValue ?? 0), .string(age(object))]
        default:
            return [name, .string(age(object))]
        }
    }

    /// The STATUS column: reason, init progress, waiting/terminated reasons, Terminating, as kubectl prints it.
    static func podStatus(_ pod: JSONValue) -> String {
        var reason = pod[path: "status", "reason"]?.stringValue ?? pod[path: "status", "phase"]?.stringValue ?? "Pending"
        let inits = pod[path: "status", "initContainerStatuses"]?.arrayValue ?? []
        let initTotal = (pod[path: "spec", "initContainers"]?.arrayValue ?? []).count
        var initializing = false
        for (i, status) in inits.enumerated() {
            if let terminated = status[path: "state", "terminated"], terminated["exitCode"]?.intValue == 0 { continue }
            if let terminated = status[path: "state", "terminated"] {
                reason = "Init:" + (terminated["reason"]?.stringValue ?? "ExitCode:\(terminated["exitCode"]?.intValue ?? 0)")
            } else if let waiting = status[path: "state", "waiting"]?["reason"]?.stringValue, waiting != "PodInitializing" {
                reason = "Init:" + waiting
            } else {
                reason = "Init:\(i)/\(initTotal)"
            }
            initializing = true
            break
        }
        if !initializing {
            var hasRunning = false
            for status in (pod[path: "status", "containerStatuses"]?.arrayValue ?? []).reversed() {
                if let waiting = status[path: "state", "waiting"]?["reason"]?.stringValue {
                    reason = waiting
                } else if let terminated = status[path: "state", "terminated"] {
                    reason = terminated["reason"]?.stringValue ?? "ExitCode:\(terminated["exitCode"]?.intValue ?? 0)"
                } else if status["ready"]?.boolValue == true, status[path: "state", "running"] != nil {
                    hasRunning = true
                }
            }
            if reason == "Completed", hasRunning { reason = "Running" }
        }
        if pod[path: "metadata", "deletionTimestamp"] != nil { reason = "Terminating" }
        return reason
    }
}
