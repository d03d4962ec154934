/// Reading RBAC denials. The authorizer's 403 says `... is forbidden: User "..." cannot VERB resource
/// ...` (apiserver responsewriters `forbiddenMessage`); admission refusals are also 403 but say
/// something else, and mean the object, not the glue's rights, is the problem.
public enum KubeAccess {
    public static func isRBACDenial(_ error: KubeError) -> Bool {
        error.kind == .forbidden && error.message.contains(" is forbidden: User \"") && error.message.contains(" cannot ")
    }

    /// The rule the glue's Role needs, as `kubectl create role` spells it.
    public static func missingRule(verb: String, resource: ResourceType, subresource: String? = nil, namespace: String?) -> String {
        let name = subresource.map { "\(resource.plural)/\($0)" } ?? resource.plural
        let group = resource.group.isEmpty ? "core" : resource.group
        return "\(verb) \(name) (API group \(group))" + (namespace.map { " in namespace \($0)" } ?? "")
    }
}
