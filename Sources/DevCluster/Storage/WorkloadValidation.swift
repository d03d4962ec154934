import JSONValue
import KubeAPI

/// The checks a real API server makes on Deployments, ReplicaSets, Services and PodDisruptionBudgets that a
/// chart is most likely to get wrong, with its field paths and words (k8s pkg/apis/apps/validation
/// validation.go `ValidateDeploymentSpec`/`ValidateReplicaSetSpec`/`ValidatePodTemplateSpecForReplicaSet`,
/// pkg/apis/core/validation `validateServicePort`, pkg/apis/policy/validation).
enum WorkloadValidation {
    typealias Cause = Validation.Cause

    static func check(_ object: JSONValue, type: ResourceType) -> [Cause] {
        switch type {
        case .deployments, .replicaSets: return workload(object, type: type)
        case .services: return service(object)
        case .podDisruptionBudgets: return disruptionBudget(object)
        default: return []
        }
    }

    /// Fields that may not change after create (`spec.selector` of apps/v1 workloads).
    static func checkUpdate(current: JSONValue, next: JSONValue, type: ResourceType) -> [Cause] {
        guard type == .deployments || type == .replicaSets else { return [] }
        let before = current[path: "spec", "selector"] ?? .null, after = next[path: "spec", "selector"] ?? .null
        guard before != after else { return [] }
        return [("spec.selector", "FieldValueInvalid", "Invalid value: \(shown(after)): field is immutable")]
    }

    private static func workload(_ object: JSONValue, type: ResourceType) -> [Cause] {
        var causes: [Cause] = []
        if let replicas = object[path: "spec", "replicas"]?.intValue, replicas < 0 {
            causes.append(("spec.replicas", "FieldValueInvalid", "Invalid value: \(replicas): must be greater than or equal to 0"))
        }
        let selector = object[path: "spec", "selector"]
        let labels = object[path: "spec", "template", "metadata", "labels"]?.objectValue ?? [:]
        if selector == nil || selector == .null {
            causes.append(Validation.required("spec.selector"))
        } else if (selector?["matchLabels"]?.objectValue ?? [:]).isEmpty, (selector?["matchExpressions"]?.arrayValue ?? []).isEmpty {
            causes.append(("spec.selector", "FieldValueInvalid", "Invalid value: \(shown(selector ?? .null)): empty selector is invalid for deployment"))
        } else if !matches(selector ?? .null, labels) {
            causes.append(("spec.template.metadata.labels", "FieldValueInvalid",
                           "Invalid value: \(shown(.object(labels))): `selector` does not match template `labels`"))
        }
        guard let template = object[path: "spec", "template", "spec"] else {
            return causes + [Validation.required("spec.template.spec.containers")]
        }
        // The pod checks, one level down.
        let podCauses = Validation.checkPod(["spec": template])
        causes += podCauses.map { ("spec.template." + $0.field, $0.reason, $0.message) }
        let policy = template["restartPolicy"]?.stringValue ?? "Always"
        if policy != "Always", !podCauses.contains(where: { $0.field == "spec.restartPolicy" }) {
            causes.append(("spec.template.spec.restartPolicy", "FieldValueNotSupported", "Unsupported value: \"\(policy)\": supported values: \"Always\""))
        }
        if type == .deployments, let strategy = object[path: "spec", "strategy", "type"]?.stringValue {
            if !["Recreate", "RollingUpdate"].contains(strategy) {
                causes.append(("spec.strategy.type", "FieldValueNotSupported", "Unsupported value: \"\(strategy)\": supported values: \"Recreate\", \"RollingUpdate\""))
            } else if strategy == "Recreate", let rolling = object[path: "spec", "strategy", "rollingUpdate"], rolling != .null {
                causes.append(("spec.strategy.rollingUpdate", "FieldValueForbidden", "Forbidden: may not be specified when strategy `type` is 'Recreate'"))
            }
        }
        return causes
    }

    /// `matchLabels` and the `In`/`NotIn`/`Exists`/`DoesNotExist` expressions against the template's labels.
    static func matches(_ selector: JSONValue, _ labels: [String: JSONValue]) -> Bool {
        for (key, value) in selector["matchLabels"]?.objectValue ?? [:] where labels[key] != value { return false }
        for expression in selector["matchExpressions"]?.arrayValue ?? [] {
            let key = expression["key"]?.stringValue ?? ""
            let values = Set((expression["values"]?.arrayValue ?? []).compactMap(\.stringValue))
            let actual = labels[key]?.stringValue
            switch expression["operator"]?.stringValue ?? "" {
            case "In": if !(actual.map(values.contains) ?? false) { return false }
            case "NotIn": if actual.map(values.contains) ?? false { return false }
            case "Exists": if actual == nil { return false }
            case "DoesNotExist": if actual != nil { return false }
            default: return false
            }
        }
        return true
    }

    /// `metav1.LabelSelectorAsSelector(...).String()`: what a Scale's `status.selector` and `kubectl`
    /// show: `a=b,c in (x,y)`, keys sorted.
    static func selectorString(_ selector: JSONValue) -> String {
        var terms: [(String, String)] = []
        for (key, value) in selector["matchLabels"]?.objectValue ?? [:] { terms.append((key, "\(key)=\(value.stringValue ?? "")")) }
        for expression in selector["matchExpressions"]?.arrayValue ?? [] {
            let key = expression["key"]?.stringValue ?? ""
            let values = (expression["values"]?.arrayValue ?? []).compactMap(\.stringValue).sorted().joined(separator: ",")
            switch expression["operator"]?.stringValue ?? "" {
            case "In": terms.append((key, "\(key) in (\(values))"))
            case "NotIn": terms.append((key, "\(key) notin (\(values))"))
            case "Exists": terms.append((key, key))
            case "DoesNotExist": terms.append((key, "!\(key)"))
            default: break
            }
        }
        return terms.sorted { $0.0 < $1.0 }.map(\.1).joined(separator: ",")
    }

    private static func service(_ object: JSONValue) -> [Cause] {
        let type = object[path: "spec", "type"]?.stringValue ?? "ClusterIP"
        var causes: [Cause] = []
        if !["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"].contains(type) {
            causes.append(("spec.type", "FieldValueNotSupported", "Unsupported value: \"\(type)\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""))
        }
        let ports = object[path: "spec", "ports"]?.arrayValue ?? []
        let headless = object[path: "spec", "clusterIP"]?.stringValue == "None"
        if ports.isEmpty, type != "ExternalName", !headless { causes.append(Validation.required("spec.ports")) }
        var names = Set<String>()
        for (i, port) in ports.enumerated() {
            let number = port["port"]?.intValue ?? 0
            if !(1...65535).contains(number) {
                causes.append(("spec.ports[\(i)].port", "FieldValueInvalid", "Invalid value: \(number): must be between 1 and 65535, inclusive"))
            }
            let name = port["name"]?.stringValue ?? ""
            if ports.count > 1, name.isEmpty { causes.append(Validation.required("spec.ports[\(i)].name")) }
            if !name.isEmpty, !names.insert(name).inserted { causes.append(("spec.ports[\(i)].name", "FieldValueDuplicate", "Duplicate value: \"\(name)\"")) }
        }
        return causes
    }

    private static func disruptionBudget(_ object: JSONValue) -> [Cause] {
        let spec = object["spec"] ?? [:]
        if spec["minAvailable"] != nil, spec["maxUnavailable"] != nil {
            return [("spec", "FieldValueInvalid", "Invalid value: \(shown(spec)): minAvailable and maxUnavailable cannot be both set")]
        }
        return []
    }

    /// A value as `field.Invalid` prints a map or struct: JSON.
    static func shown(_ value: JSONValue) -> String { value.encodedString() }
}
