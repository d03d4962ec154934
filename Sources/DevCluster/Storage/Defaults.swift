import JSONValue
import Foundation
import KubeAPI

/// What the API server fills in on create: identity, timestamps, and the pod defaults every
/// client expects to read back (restartPolicy, grace period, pull policy, service account...).
enum Defaults {
    static func apply(_ object: JSONValue, type: ResourceType, manager: String, operation: String) -> JSONValue {
        var object = object
        object["apiVersion"] = .string(type.apiVersion)
        object["kind"] = .string(type.kind)
        object[path: "metadata", "uid"] = .string(UUID().uuidString.lowercased())
        object[path: "metadata", "creationTimestamp"] = .string(KubeTime.format(Date()))
        object[path: "metadata", "resourceVersion"] = nil
        object[path: "metadata", "generation"] = type == .pods || type == .namespaces ? 1 : nil
        object = recordManager(object, manager: manager, operation: operation)
        switch type {
        case .pods: return pod(object)
        case .namespaces:
            object[path: "spec", "finalizers"] = ["kubernetes"]
            object[path: "status", "phase"] = "Active"
            object[path: "metadata", "labels", "kubernetes.io/metadata.name"] = object[path: "metadata", "name"]
        case .events:
            if object["type"] == nil { object["type"] = "Normal" }
        case .jobs:
            object = JobController.defaulted(object)
        case .roleBindings, .clusterRoleBindings:
            object = RBACObjectValidation.defaulted(object, type: type)
        case .services, .deployments, .replicaSets, .podDisruptionBudgets:
            object = WorkloadDefaults.apply(object, type: type)
        default: break
        }
        return object
    }

    /// One managedFields entry per manager, so clients see the ownership bookkeeping they expect.
    static func recordManager(_ object: JSONValue, manager: String, operation: String) -> JSONValue {
        var object = object
        var entries = (object[path: "metadata", "managedFields"]?.arrayValue ?? []).filter {
            !($0["manager"]?.stringValue == manager && $0["operation"]?.stringValue == operation)
        }
        entries.append([
            "manager": .string(manager), "operation": .string(operation), "apiVersion": object["apiVersion"] ?? "v1",
            "time": .string(KubeTime.format(Date())), "fieldsType": "FieldsV1", "fieldsV1": ["f:metadata": [:]],
        ])
        object[path: "metadata", "managedFields"] = .array(entries)
        return object
    }

    static func pod(_ pod: JSONValue) -> JSONValue {
        var pod = pod
        var spec = pod["spec"] ?? [:]
        for (key, value) in [
            ("restartPolicy", JSONValue.string("Always")), ("terminationGracePeriodSeconds", 30), ("dnsPolicy", "ClusterFirst"),
            ("schedulerName", "default-scheduler"), ("serviceAccountName", "default"), ("serviceAccount", "default"),
            ("securityContext", [:]), ("enableServiceLinks", true), ("preemptionPolicy", "PreemptLowerPriority"), ("priority", 0),
        ] where spec[key] == nil {
            spec[key] = value
        }
        for group in ["initContainers", "containers"] {
            guard let containers = spec[group]?.arrayValue else { continue }
            spec[group] = .array(containers.map { c in
                var c = c
                if c["terminationMessagePath"] == nil { c["terminationMessagePath"] = "/dev/termination-log" }
                if c["terminationMessagePolicy"] == nil { c["terminationMessagePolicy"] = "File" }
                if c["resources"] == nil { c["resources"] = [:] }
                if c["imagePullPolicy"] == nil {
                    let image = c["image"]?.stringValue ?? ""
                    let tag = image.split(separator: "/").last.map { $0.contains(":") ? String($0.split(separator: ":").last ?? "") : "" } ?? ""
                    c["imagePullPolicy"] = .string(tag.isEmpty || tag == "latest" ? "Always" : "IfNotPresent")
                }
                return c
            })
        }
        spec["tolerations"] = spec["tolerations"] ?? [
            ["key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300],
            ["key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300],
        ]
        pod["spec"] = spec
        pod["status"] = ["phase": "Pending", "qosClass": "BestEffort"]
        return pod
    }
}
