import JSONValue
import Foundation
import KubeAPI

/// Name and pod checks with the API server's field paths and wording, so a bad manifest fails here
/// the way it would on a real cluster.
enum Validation {
    typealias Cause = (field: String, reason: String, message: String)

    static let label1123Message = NameFormats.dns1123LabelMessage
    static let subdomainMessage = NameFormats.dns1123SubdomainMessage

    static func isLabel(_ s: String) -> Bool { s.utf8.count <= 63 && NameFormats.isDNS1123Label(s) }

    /// The apiserver's subdomain regex does not bound each dot-separated part, only the whole (253).
    static func isSubdomain(_ s: String) -> Bool { s.utf8.count <= 253 && NameFormats.isDNS1123Subdomain(s) }

    /// Label-style names (containers, volumes): one cause per `IsDNS1123Label` message.
    static func labelCauses(_ field: String, _ value: String) -> [Cause] {
        NameFormats.dns1123Label(value).map { invalid(field, value, $0) }
    }

    /// `field.Invalid` with a string value, printed with Go's `%q` (GoQuote).
    static func invalid(_ field: String, _ value: String, _ message: String) -> Cause {
        (field, "FieldValueInvalid", "Invalid value: \(GoQuote.quote(value)): \(message)")
    }

    static func required(_ field: String) -> Cause { (field, "FieldValueRequired", "Required value") }

    /// Object names (`ValidateObjectMetaAccessor` with the kind's name function): namespaces are DNS-1123
    /// labels (`ValidateNamespaceName`), Services DNS-1035 labels, most kinds subdomains; one cause per message.
    static func checkName(_ object: JSONValue, resource: ResourceType) -> [Cause] {
        let name = object[path: "metadata", "name"]?.stringValue ?? ""
        if name.isEmpty { return [("metadata.name", "FieldValueRequired", "Required value: name or generateName is required")] }
        if RBACObjectValidation.types.contains(resource) { return RBACObjectValidation.nameCauses(name) }
        let messages = switch resource.kind {
        case "Namespace": NameFormats.dns1123Label(name)
        case "Service": NameFormats.dns1035Label(name)
        default: NameFormats.dns1123Subdomain(name)
        }
        return messages.map { invalid("metadata.name", name, $0) }
    }

    /// `ValidateLabels` (keys `IsQualifiedName`, values `IsValidLabelValue`) and `ValidateAnnotations`
    /// (keys lower-cased, then `IsQualifiedName`): every error on the map's field, no key in the path.
    /// Keys in sorted order (Go walks the map in random order).
    static func checkLabels(_ object: JSONValue) -> [Cause] {
        var causes: [Cause] = []
        for (key, value) in (object[path: "metadata", "labels"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            causes += NameFormats.qualifiedName(key).map { invalid("metadata.labels", key, $0) }
            let text = value.stringValue ?? ""
            causes += NameFormats.labelValue(text).map { invalid("metadata.labels", text, $0) }
        }
        for key in (object[path: "metadata", "annotations"]?.objectValue ?? [:]).keys.sorted() {
            causes += NameFormats.qualifiedName(key.lowercased()).map { invalid("metadata.annotations", key, $0) }
        }
        return causes
    }

    static func checkPod(_ pod: JSONValue) -> [Cause] {
        var causes: [Cause] = []
        guard let spec = pod["spec"]?.objectValue else { return [required("spec")] }
        let containers = spec["containers"]?.arrayValue ?? []
        if containers.isEmpty { causes.append(required("spec.containers")) }
        var volumeNames = Set<String>()
        for (i, volume) in (spec["volumes"]?.arrayValue ?? []).enumerated() {
            let name = volume["name"]?.stringValue ?? ""
            if name.isEmpty { causes.append(required("spec.volumes[\(i)].name")) }
            else if !NameFormats.dns1123Label(name).isEmpty { causes += labelCauses("spec.volumes[\(i)].name", name) }
            else if !volumeNames.insert(name).inserted { causes.append(("spec.volumes[\(i)].name", "FieldValueDuplicate", "Duplicate value: \"\(name)\"")) }
        }
        var containerNames = Set<String>()
        for (group, list) in [("initContainers", spec["initContainers"]?.arrayValue ?? []), ("containers", containers)] {
            for (i, container) in list.enumerated() {
                let base = "spec.\(group)[\(i)]"
                let name = container["name"]?.stringValue ?? ""
                if name.isEmpty { causes.append(required("\(base).name")) }
                else if !NameFormats.dns1123Label(name).isEmpty { causes += labelCauses("\(base).name", name) }
                else if !containerNames.insert(name).inserted { causes.append(("\(base).name", "FieldValueDuplicate", "Duplicate value: \"\(name)\"")) }
                let image = container["image"]?.stringValue ?? ""
                if image.isEmpty { causes.append(required("\(base).image")) }
                // validateContainerOnlyForPod (k/k core/validation): the kubelet judges the rest of the reference.
                else if image.trimmingCharacters(in: .whitespacesAndNewlines) != image {
                    causes.append(invalid("\(base).image", image, "must not have leading or trailing whitespace"))
                }
                causes += envCauses(container["env"]?.arrayValue ?? [], base: "\(base).env")
                for (j, mount) in (container["volumeMounts"]?.arrayValue ?? []).enumerated() {
                    let volume = mount["name"]?.stringValue ?? ""
                    if !volumeNames.contains(volume) { causes.append(("\(base).volumeMounts[\(j)].name", "FieldValueNotFound", "Not found: \"\(volume)\"")) }
                    if (mount["mountPath"]?.stringValue ?? "").isEmpty { causes.append(required("\(base).volumeMounts[\(j)].mountPath")) }
                }
            }
        }
        if let policy = spec["restartPolicy"]?.stringValue, !["Always", "OnFailure", "Never"].contains(policy) {
            causes.append(("spec.restartPolicy", "FieldValueNotSupported", "Unsupported value: \"\(policy)\": supported values: \"Always\", \"OnFailure\", \"Never\""))
        }
        return causes + QuantityFields.negativeCauses(pod, kind: "Pod")
    }
}

extension Validation {
    /// k/k core/validation `ValidateEnv` and `validateEnvVarValueFrom` as v1.32 runs them (relaxed names,
    /// apimachinery `IsRelaxedEnvVarName`, on by default): a name, and one source, never with a `value`.
    static func envCauses(_ env: [JSONValue], base: String) -> [Cause] {
        var causes: [Cause] = []
        for (i, entry) in env.enumerated() {
            let name = entry["name"]?.stringValue ?? ""
            if name.isEmpty { causes.append(required("\(base)[\(i)].name")) }
            else if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value > 0x7E || $0 == "=" }) {
                causes.append(invalid("\(base)[\(i)].name", name, "a valid environment variable name must consist only of printable ASCII characters other than '='"))
            }
            guard let from = entry["valueFrom"]?.objectValue else { continue }
            let sources = ["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef"].filter { from[$0] != nil && from[$0] != .null }.count
            let path = "\(base)[\(i)].valueFrom"
            if sources == 0 {
                causes.append(invalid(path, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
            } else if !(entry["value"]?.stringValue ?? "").isEmpty {
                causes.append(invalid(path, "", "may not be specified when `value` is not empty"))
            } else if sources > 1 {
                causes.append(invalid(path, "", "may not have more than one field specified at a time"))
            }
        }
        return causes
    }
}

extension Character {
    var isLetterOrDigitASCII: Bool { isASCII && (isLetter || isNumber) }
}
