import JSONValue
import Foundation
import KubeAPI

/// `fieldValidation=Strict` (what `kubectl apply --validate=strict`, the default, asks for): fields the
/// schema does not declare are refused. Pods are checked down to containers; other kinds at the top.
enum StrictFields {
    static let metadata: Set<String> = [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
    ]
    static let podSpec: Set<String> = [
        "volumes", "initContainers", "containers", "ephemeralContainers", "restartPolicy", "terminationGracePeriodSeconds",
        "activeDeadlineSeconds", "dnsPolicy", "nodeSelector", "serviceAccountName", "serviceAccount", "automountServiceAccountToken",
        "nodeName", "hostNetwork", "hostPID", "hostIPC", "shareProcessNamespace", "securityContext", "imagePullSecrets", "hostname",
        "subdomain", "affinity", "schedulerName", "tolerations", "hostAliases", "priorityClassName", "priority", "dnsConfig",
        "readinessGates", "runtimeClassName", "enableServiceLinks", "preemptionPolicy", "overhead", "topologySpreadConstraints",
        "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates", "resourceClaims", "resources",
    ]
    static let container: Set<String> = [
        "name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "resources", "resizePolicy", "restartPolicy",
        "volumeMounts", "volumeDevices", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "terminationMessagePath",
        "terminationMessagePolicy", "imagePullPolicy", "securityContext", "stdin", "stdinOnce", "tty",
    ]
    static let topLevel: [ResourceType: Set<String>] = [
        .pods: ["apiVersion", "kind", "metadata", "spec", "status"],
        .namespaces: ["apiVersion", "kind", "metadata", "spec", "status"],
        .configMaps: ["apiVersion", "kind", "metadata", "data", "binaryData", "immutable"],
        .secrets: ["apiVersion", "kind", "metadata", "data", "stringData", "type", "immutable"],
        .serviceAccounts: ["apiVersion", "kind", "metadata", "secrets", "imagePullSecrets", "automountServiceAccountToken"],
        .leases: ["apiVersion", "kind", "metadata", "spec"],
        .jobs: ["apiVersion", "kind", "metadata", "spec", "status"],
        .roles: ["apiVersion", "kind", "metadata", "rules"],
        .clusterRoles: ["apiVersion", "kind", "metadata", "rules", "aggregationRule"],
        .roleBindings: ["apiVersion", "kind", "metadata", "subjects", "roleRef"],
        .clusterRoleBindings: ["apiVersion", "kind", "metadata", "subjects", "roleRef"],
        .services: ["apiVersion", "kind", "metadata", "spec", "status"],
        .deployments: ["apiVersion", "kind", "metadata", "spec", "status"],
        .replicaSets: ["apiVersion", "kind", "metadata", "spec", "status"],
        .podDisruptionBudgets: ["apiVersion", "kind", "metadata", "spec", "status"],
    ]

    /// Dotted paths of undeclared fields, as the apiserver's strict decoder names them.
    static func unknownFields(_ object: JSONValue, type: ResourceType) -> [String] {
        var unknown: [String] = []
        func check(_ value: JSONValue?, _ known: Set<String>, _ prefix: String) {
            for key in (value?.objectValue ?? [:]).keys.sorted() where !known.contains(key) {
                unknown.append(prefix.isEmpty ? key : "\(prefix).\(key)")
            }
        }
        if let known = topLevel[type] { check(object, known, "") }
        check(object["metadata"], metadata, "metadata")
        if type == .pods {
            check(object["spec"], podSpec, "spec")
            for group in ["initContainers", "containers"] {
                for (i, c) in (object[path: "spec", group]?.arrayValue ?? []).enumerated() {
                    check(c, container, "spec.\(group)[\(i)]")
                }
            }
        }
        if ResourceType.podTemplateOwners.contains(type) {
            // A workload's pod template: the same pod spec and container fields, one level down.
            check(object[path: "spec", "template", "spec"], podSpec, "spec.template.spec")
            for group in ["initContainers", "containers"] {
                for (i, c) in (object[path: "spec", "template", "spec", group]?.arrayValue ?? []).enumerated() {
                    check(c, container, "spec.template.spec.\(group)[\(i)]")
                }
            }
        }
        return unknown
    }
}

extension StrictFields {
    /// The object without the fields at these paths (as `unknownFields` names them): what the decoder
    /// keeps under `Warn` and `Ignore`.
    static func removing(_ paths: [String], from object: JSONValue) -> JSONValue {
        var result = object
        for path in paths {
            var steps: [(key: String, index: Int?)] = []
            for part in path.split(separator: ".") {
                if let open = part.firstIndex(of: "["), let close = part.firstIndex(of: "]"), let index = Int(part[part.index(after: open)..<close]) {
                    steps.append((String(part[..<open]), index))
                } else {
                    steps.append((String(part), nil))
                }
            }
            result = remove(steps[...], from: result)
        }
        return result
    }

    private static func remove(_ steps: ArraySlice<(key: String, index: Int?)>, from value: JSONValue) -> JSONValue {
        guard let step = steps.first, case .object(var fields) = value else { return value }
        if steps.count == 1 {
            fields[step.key] = nil
            return .object(fields)
        }
        guard let child = fields[step.key] else { return value }
        if let index = step.index {
            guard case .array(var items) = child, items.indices.contains(index) else { return value }
            items[index] = remove(steps.dropFirst(), from: items[index])
            fields[step.key] = .array(items)
        } else {
            fields[step.key] = remove(steps.dropFirst(), from: child)
        }
        return .object(fields)
    }
}

enum YAMLBody {
    static func decode(_ data: Data) throws(APIError) -> JSONValue {
        do { return try JSONValue.decodeYAML(String(decoding: data, as: UTF8.self)) } catch {
            throw .badRequest("error decoding YAML: \(error)")
        }
    }
}
