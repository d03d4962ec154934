import Foundation
import JSONValue
import KubeAPI

extension ResourceType {
    static let roles = ResourceType(group: "rbac.authorization.k8s.io", version: "v1", plural: "roles", kind: "Role", namespaced: true)
    static let roleBindings = ResourceType(group: "rbac.authorization.k8s.io", version: "v1", plural: "rolebindings", kind: "RoleBinding", namespaced: true)
    static let clusterRoles = ResourceType(group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterroles", kind: "ClusterRole", namespaced: false)
    static let clusterRoleBindings = ResourceType(
        group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterrolebindings", kind: "ClusterRoleBinding", namespaced: false)
}

/// An authorizer's answer: allowed or not (no opinion and deny are the same here), and why.
struct AuthorizationDecision: Sendable, Equatable {
    var allowed: Bool
    var reason: String
}

/// The apiserver's authorizer chain as kubeadm configures it, less the Node authorizer (no kubelet
/// identities here): the `system:masters` group first, then RBAC over the stored Roles, ClusterRoles and
/// their bindings (kubernetes plugin/pkg/auth/authorizer/rbac/rbac.go `Authorize`,
/// pkg/registry/rbac/validation/rule.go `VisitRulesFor`).
struct RBACAuthorizer: Sendable {
    let store: ObjectStore

    /// A rule with where it came from, as the allow reason names it.
    struct SourcedRule: Sendable {
        var source: String
        var rule: PolicyRule
    }

    func authorize(_ request: RequestAttributes) async -> AuthorizationDecision {
        // apiserver pkg/authorization/authorizerfactory/builtin.go `privilegedGroupAuthorizer`: reason "".
        if request.user.isPrivileged { return AuthorizationDecision(allowed: true, reason: "") }
        let (rules, errors) = await visitRules(user: request.user, namespace: request.namespace)
        if let match = rules.first(where: { $0.rule.allows(request) }) {
            return AuthorizationDecision(allowed: true, reason: "RBAC: allowed by \(match.source)")
        }
        return AuthorizationDecision(allowed: false, reason: errors.isEmpty ? "" : "RBAC: \(Self.aggregate(errors))")
    }

    /// `RulesFor`: every rule that applies to `user` in `namespace` (cluster bindings, then the
    /// namespace's bindings), and the errors met resolving them (a binding to a missing role).
    func rules(user: UserInfo, namespace: String) async -> (rules: [PolicyRule], errors: [String]) {
        let (sourced, errors) = await visitRules(user: user, namespace: namespace)
        return (sourced.map(\.rule), errors)
    }

    func visitRules(user: UserInfo, namespace: String) async -> (rules: [SourcedRule], errors: [String]) {
        var rules: [SourcedRule] = []
        var errors: [String] = []
        for binding in Self.sortedByName(await store.all(.clusterRoleBindings)) {
            guard let subject = Self.firstSubject(applyingTo: user, in: binding, namespace: "") else { continue }
            switch await roleRules(binding["roleRef"] ?? [:], namespace: "") {
            case .success(let found):
                let source = "ClusterRoleBinding \(GoQuote.quote(Self.name(binding))) of \(Self.roleRefKind(binding)) \(GoQuote.quote(Self.roleRefName(binding))) to \(Self.describe(subject, bindingNamespace: ""))"
                rules += found.map { SourcedRule(source: source, rule: $0) }
            case .failure(let error): errors.append(error.message)
            }
        }
        guard !namespace.isEmpty else { return (rules, errors) }
        let local = await store.all(.roleBindings).filter { $0[path: "metadata", "namespace"]?.stringValue == namespace }
        for binding in Self.sortedByName(local) {
            guard let subject = Self.firstSubject(applyingTo: user, in: binding, namespace: namespace) else { continue }
            switch await roleRules(binding["roleRef"] ?? [:], namespace: namespace) {
            case .success(let found):
                let source = "RoleBinding \(GoQuote.quote(Self.name(binding) + "/" + namespace)) of \(Self.roleRefKind(binding)) \(GoQuote.quote(Self.roleRefName(binding))) to \(Self.describe(subject, bindingNamespace: namespace))"
                rules += found.map { SourcedRule(source: source, rule: $0) }
            case .failure(let error): errors.append(error.message)
            }
        }
        return (rules, errors)
    }

    struct ResolutionError: Error { var message: String }

    /// `GetRoleReferenceRules`: a Role in the binding's namespace or a ClusterRole; a missing one is the
    /// lister's NotFound (`role.rbac.authorization.k8s.io "x" not found`).
    func roleRules(_ roleRef: JSONValue, namespace: String) async -> Result<[PolicyRule], ResolutionError> {
        let name = roleRef["name"]?.stringValue ?? ""
        switch roleRef["kind"]?.stringValue ?? "" {
        case "Role":
            guard let role = await store.get(.roles, namespace: namespace, name: name) else {
                return .failure(ResolutionError(message: "role.rbac.authorization.k8s.io \(GoQuote.quote(name)) not found"))
            }
            return .success((role["rules"]?.arrayValue ?? []).map(PolicyRule.init))
        case "ClusterRole":
            guard let role = await store.get(.clusterRoles, namespace: nil, name: name) else {
                return .failure(ResolutionError(message: "clusterrole.rbac.authorization.k8s.io \(GoQuote.quote(name)) not found"))
            }
            return .success((role["rules"]?.arrayValue ?? []).map(PolicyRule.init))
        case let kind:
            return .failure(ResolutionError(message: "unsupported role reference kind: \(GoQuote.quote(kind))"))
        }
    }

    /// `appliesTo`/`appliesToUser`: a User by name, a Group by membership, a ServiceAccount by its
    /// username (its namespace defaulting to the binding's).
    static func firstSubject(applyingTo user: UserInfo, in binding: JSONValue, namespace: String) -> JSONValue? {
        (binding["subjects"]?.arrayValue ?? []).first { subject in
            let name = subject["name"]?.stringValue ?? ""
            switch subject["kind"]?.stringValue {
            case "User": return user.name == name
            case "Group": return user.groups.contains(name)
            case "ServiceAccount":
                let saNamespace = (subject["namespace"]?.stringValue).flatMap { $0.isEmpty ? nil : $0 } ?? namespace
                guard !saNamespace.isEmpty else { return false }
                return user.name == UserInfo.serviceAccountUsername(namespace: saNamespace, name: name)
            default: return false
            }
        }
    }

    /// `describeSubject`: `ServiceAccount "name/ns"`, `User "alice"`, `Group "g"`.
    static func describe(_ subject: JSONValue, bindingNamespace: String) -> String {
        let kind = subject["kind"]?.stringValue ?? ""
        let name = subject["name"]?.stringValue ?? ""
        if kind == "ServiceAccount" {
            let namespace = (subject["namespace"]?.stringValue).flatMap { $0.isEmpty ? nil : $0 } ?? bindingNamespace
            return "\(kind) \(GoQuote.quote(name + "/" + namespace))"
        }
        return "\(kind) \(GoQuote.quote(name))"
    }

    /// `utilerrors.NewAggregate(...).Error()`: one message alone, several de-duplicated inside `[...]`.
    static func aggregate(_ errors: [String]) -> String {
        var seen: [String] = []
        for error in errors where !seen.contains(error) { seen.append(error) }
        return seen.count == 1 ? seen[0] : "[" + seen.joined(separator: ", ") + "]"
    }

    static func name(_ object: JSONValue) -> String { object[path: "metadata", "name"]?.stringValue ?? "" }
    static func roleRefKind(_ binding: JSONValue) -> String { binding[path: "roleRef", "kind"]?.stringValue ?? "" }
    static func roleRefName(_ binding: JSONValue) -> String { binding[path: "roleRef", "name"]?.stringValue ?? "" }
    static func sortedByName(_ objects: [JSONValue]) -> [JSONValue] { objects.sorted { name($0) < name($1) } }
}
