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
        return unknown
    }
}

enum YAMLBody {
    static func decode(_ data: Data) throws(APIError) -> JSONValue {
        do { return try JSONValue.decodeYAML(String(decoding: data, as: UTF8.self)) } catch {
            throw .badRequest("error decoding YAML: \(error)")
        }
    }
}
