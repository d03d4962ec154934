import JSONValue
import Foundation
import KubeAPI

/// Name and pod checks with the API server's field paths and wording, so a bad manifest fails here
/// the way it would on a real cluster.
enum Validation {
    typealias Cause = (field: String, reason: String, message: String)

    static let label1123Message =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    static let subdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

    static func isLabel(_ s: String) -> Bool {
        guard let first = s.first, let last = s.last, s.count <= 63 else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
            && first != "-" && last != "-"
    }

    /// The apiserver's subdomain regex does not bound each dot-separated part, only the whole (253).
    static func isSubdomain(_ s: String) -> Bool {
        s.count <= 253 && !s.isEmpty && s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
            guard let first = part.first, let last = part.last else { return false }
            return part.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") } && first != "-" && last != "-"
        }
    }

    /// Label-style names (containers, volumes, namespaces) with the apiserver's two distinct messages.
    static func checkLabel(_ field: String, _ value: String) -> Cause? {
        if value.count > 63 { return invalid(field, value, "must be no more than 63 characters") }
        return isLabel(value) ? nil : invalid(field, value, label1123Message)
    }

    static func invalid(_ field: String, _ value: String, _ message: String) -> Cause {
        (field, "FieldValueInvalid", "Invalid value: \"\(value)\": \(message)")
    }

    static func required(_ field: String) -> Cause { (field, "FieldValueRequired", "Required value") }

    /// Object names: namespaces and service-account-like names are labels (≤ 63); the rest subdomains.
    static func checkName(_ object: JSONValue, resource: ResourceType) -> [Cause] {
        let name = object[path: "metadata", "name"]?.stringValue ?? ""
        if name.isEmpty { return [("metadata.name", "FieldValueRequired", "Required value: name or generateName is required")] }
        if resource == .namespaces {
            return checkLabel("metadata.name", name).map { [$0] } ?? []
        }
        if resource == .pods, name.count > 253 { return [invalid("metadata.name", name, "must be no more than 253 characters")] }
        return isSubdomain(name) ? [] : [invalid("metadata.name", name, subdomainMessage)]
    }

    static func checkLabels(_ object: JSONValue) -> [Cause] {
        var causes: [Cause] = []
        for (key, value) in object[path: "metadata", "labels"]?.objectValue ?? [:] {
            let text = value.stringValue ?? ""
            let nameOK = text.count <= 63 && (text.isEmpty || (text.first?.isLetterOrDigitASCII == true && text.last?.isLetterOrDigitASCII == true
                && text.allSatisfy { $0.isLetterOrDigitASCII || "-_.".contains($0) }))
            if !nameOK {
                causes.append(invalid("metadata.labels", text,
                    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, and must be no more than 63 characters"))
            }
            let keyName = key.split(separator: "/").last.map(String.init) ?? key
            if keyName.isEmpty || keyName.count > 63 || !keyName.allSatisfy({ $0.isLetterOrDigitASCII || "-_.".contains($0) }) {
                causes.append(invalid("metadata.labels", key, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, and must be no more than 63 characters"))
            }
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
            else if let cause = checkLabel("spec.volumes[\(i)].name", name) { causes.append(cause) }
            else if !volumeNames.insert(name).inserted { causes.append(("spec.volumes[\(i)].name", "FieldValueDuplicate", "Duplicate value: \"\(name)\"")) }
        }
        var containerNames = Set<String>()
        for (group, list) in [("initContainers", spec["initContainers"]?.arrayValue ?? []), ("containers", containers)] {
            for (i, container) in list.enumerated() {
                let base = "spec.\(group)[\(i)]"
                let name = container["name"]?.stringValue ?? ""
                if name.isEmpty { causes.append(required("\(base).name")) }
                else if let cause = checkLabel("\(base).name", name) { causes.append(cause) }
                else if !containerNames.insert(name).inserted { causes.append(("\(base).name", "FieldValueDuplicate", "Duplicate value: \"\(name)\"")) }
                if (container["image"]?.stringValue ?? "").isEmpty { causes.append(required("\(base).image")) }
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
        return causes
    }
}

extension Character {
    var isLetterOrDigitASCII: Bool { isASCII && (isLetter || isNumber) }
}
