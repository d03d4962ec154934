import Foundation
import JSONValue
import KubeAPI

/// Defaulting and validation of Roles, ClusterRoles and their bindings, with the apiserver's field
/// paths and words (kubernetes pkg/apis/rbac/validation/validation.go, pkg/apis/rbac/v1/defaults.go;
/// names: apimachinery pkg/api/validation/path/name.go `IsValidPathSegmentName`).
enum RBACObjectValidation {
    typealias Cause = Validation.Cause
    static let group = "rbac.authorization.k8s.io"
    static let types: Set<ResourceType> = [.roles, .roleBindings, .clusterRoles, .clusterRoleBindings]

    /// RBAC names are path segments, not DNS names: `system:discovery` is valid; `.`, `..`, and names
    /// with `/` or `%` are not.
    static func nameCauses(_ name: String, field: String = "metadata.name") -> [Cause] {
        if name.isEmpty, field == "metadata.name" { return [(field, "FieldValueRequired", "Required value: name or generateName is required")] }
        if name == "." || name == ".." { return [Validation.invalid(field, name, "may not be '\(name)'")] }
        return ["/", "%"].filter { name.contains($0) }.map { Validation.invalid(field, name, "may not contain '\($0)'") }
    }

    /// `SetDefaults_RoleBinding`/`ClusterRoleBinding` (roleRef.apiGroup) and `SetDefaults_Subject`
    /// (User and Group subjects get the RBAC group).
    static func defaulted(_ object: JSONValue, type: ResourceType) -> JSONValue {
        guard type == .roleBindings || type == .clusterRoleBindings else { return object }
        var object = object
        if let roleRef = object["roleRef"], roleRef != .null, (roleRef["apiGroup"]?.stringValue ?? "").isEmpty {
            object[path: "roleRef", "apiGroup"] = .string(group)
        }
        if let subjects = object["subjects"]?.arrayValue {
            object["subjects"] = .array(subjects.map { subject in
                var subject = subject
                if (subject["apiGroup"]?.stringValue ?? "").isEmpty, ["User", "Group"].contains(subject["kind"]?.stringValue ?? "") {
                    subject["apiGroup"] = .string(group)
                }
                return subject
            })
        }
        return object
    }

    /// The causes of a 422 for an RBAC object (checked after defaulting); empty for other kinds.
    static func check(_ object: JSONValue, type: ResourceType) -> [Cause] {
        guard types.contains(type) else { return [] }
        let object = defaulted(object, type: type)
        switch type {
        case .roles, .clusterRoles:
            return (object["rules"]?.arrayValue ?? []).enumerated().flatMap { index, rule in
                checkRule(rule, namespaced: type == .roles, path: "rules[\(index)]")
            }
        default:
            return checkBinding(object, namespaced: type == .roleBindings)
        }
    }

    /// `validatePolicyRule`.
    static func checkRule(_ json: JSONValue, namespaced: Bool, path: String) -> [Cause] {
        let rule = PolicyRule(json)
        var causes: [Cause] = []
        if rule.verbs.isEmpty { causes.append(("\(path).verbs", "FieldValueRequired", "Required value: verbs must contain at least one value")) }
        if !rule.nonResourceURLs.isEmpty {
            let value = listJSON(rule.nonResourceURLs)
            if namespaced {
                causes.append(("\(path).nonResourceURLs", "FieldValueInvalid", "Invalid value: \(value): namespaced rules cannot apply to non-resource URLs"))
            }
            if !rule.apiGroups.isEmpty || !rule.resources.isEmpty || !rule.resourceNames.isEmpty {
                causes.append(("\(path).nonResourceURLs", "FieldValueInvalid", "Invalid value: \(value): rules cannot apply to both regular resources and non-resource URLs"))
            }
            return causes
        }
        if rule.apiGroups.isEmpty { causes.append(("\(path).apiGroups", "FieldValueRequired", "Required value: resource rules must supply at least one api group")) }
        if rule.resources.isEmpty { causes.append(("\(path).resources", "FieldValueRequired", "Required value: resource rules must supply at least one resource")) }
        if !rule.resourceNames.isEmpty, rule.resources.count > 1 {
            causes.append(("\(path).resourceNames", "FieldValueRequired", "Required value: resource names cannot apply to multiple resources"))
        }
        return causes
    }

    /// `ValidateRoleBinding` / `ValidateClusterRoleBinding` and `validateRoleBindingSubject`.
    static func checkBinding(_ binding: JSONValue, namespaced: Bool) -> [Cause] {
        var causes: [Cause] = []
        let roleRef = binding["roleRef"] ?? [:]
        let refGroup = roleRef["apiGroup"]?.stringValue ?? ""
        if refGroup != group { causes.append(notSupported("roleRef.apiGroup", refGroup, [group])) }
        let refKind = roleRef["kind"]?.stringValue ?? ""
        let kinds = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"]
        if !kinds.contains(refKind) { causes.append(notSupported("roleRef.kind", refKind, kinds)) }
        let refName = roleRef["name"]?.stringValue ?? ""
        if refName.isEmpty { causes.append(Validation.required("roleRef.name")) } else { causes += nameCauses(refName, field: "roleRef.name") }
        for (index, subject) in (binding["subjects"]?.arrayValue ?? []).enumerated() {
            let path = "subjects[\(index)]"
            let name = subject["name"]?.stringValue ?? ""
            let apiGroup = subject["apiGroup"]?.stringValue ?? ""
            if name.isEmpty { causes.append(Validation.required("\(path).name")) }
            switch subject["kind"]?.stringValue ?? "" {
            case "ServiceAccount":
                if !name.isEmpty, !Validation.isSubdomain(name) {
                    causes.append(Validation.invalid("\(path).name", name, name.count > 253 ? "must be no more than 253 characters" : Validation.subdomainMessage))
                }
                if !apiGroup.isEmpty { causes.append(notSupported("\(path).apiGroup", apiGroup, [""])) }
                if !namespaced, (subject["namespace"]?.stringValue ?? "").isEmpty { causes.append(Validation.required("\(path).namespace")) }
            case "User", "Group":
                let what = subject["kind"]?.stringValue == "User" ? "user" : "group"
                if name.isEmpty { causes.append(Validation.invalid("\(path).name", name, "\(what) name cannot be empty")) }
                if apiGroup != group { causes.append(notSupported("\(path).apiGroup", apiGroup, [group])) }
            case let kind:
                causes.append(notSupported("\(path).kind", kind, ["ServiceAccount", "User", "Group"]))
            }
        }
        return causes
    }

    static func notSupported(_ field: String, _ value: String, _ supported: [String]) -> Cause {
        (field, "FieldValueNotSupported", "Unsupported value: \(GoQuote.quote(value)): supported values: \(supported.map(GoQuote.quote).joined(separator: ", "))")
    }

    /// A `[]string` bad value, as field errors print it (JSON).
    static func listJSON(_ values: [String]) -> String {
        String(decoding: JSONValue.array(values.map(JSONValue.string)).encoded(), as: UTF8.self)
    }
}
