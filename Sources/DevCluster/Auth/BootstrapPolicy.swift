import Foundation
import JSONValue
import KubeAPI

/// The ClusterRoles and ClusterRoleBindings every kube-apiserver creates at start that matter to a
/// client here: `cluster-admin` for `system:masters`; `system:discovery` and `system:basic-user` for every
/// authenticated user (discovery, /version, /openapi; creating self access/rules/subject reviews);
/// `system:public-info-viewer` for everyone (kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy/
/// policy.go `clusterRoles`, `clusterRoleBindings`). The aggregated `admin`/`edit`/`view` are not served.
enum BootstrapPolicy {
    static let clusterRoles: [(name: String, rules: [PolicyRule])] = [
        ("cluster-admin", [
            PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*"]),
            PolicyRule(verbs: ["*"], nonResourceURLs: ["*"]),
        ]),
        ("system:discovery", [
            PolicyRule(verbs: ["get"], nonResourceURLs: [
                "/livez", "/readyz", "/healthz", "/version", "/version/", "/openapi", "/openapi/*", "/api", "/api/*", "/apis", "/apis/*",
            ]),
        ]),
        ("system:basic-user", [
            PolicyRule(verbs: ["create"], apiGroups: ["authorization.k8s.io"], resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
            PolicyRule(verbs: ["create"], apiGroups: ["authentication.k8s.io"], resources: ["selfsubjectreviews"]),
        ]),
        ("system:public-info-viewer", [
            PolicyRule(verbs: ["get"], nonResourceURLs: ["/livez", "/readyz", "/healthz", "/version", "/version/"]),
        ]),
    ]

    static let clusterRoleBindings: [(name: String, groups: [String])] = [
        ("cluster-admin", [UserInfo.mastersGroup]),
        ("system:discovery", [UserInfo.authenticatedGroup]),
        ("system:basic-user", [UserInfo.authenticatedGroup]),
        ("system:public-info-viewer", [UserInfo.authenticatedGroup, UserInfo.unauthenticatedGroup]),
    ]

    /// `addDefaultMetadata`: the bootstrapping label and the auto-update annotation.
    static let labels: JSONValue = ["kubernetes.io/bootstrapping": "rbac-defaults"]
    static let annotations: JSONValue = ["rbac.authorization.kubernetes.io/autoupdate": "true"]

    static func seed(_ store: ObjectStore) async throws {
        for role in clusterRoles {
            _ = try await store.insert(.clusterRoles, Defaults.apply([
                "metadata": ["name": .string(role.name), "labels": labels, "annotations": annotations],
                "rules": .array(role.rules.map(\.json)),
            ], type: .clusterRoles, manager: "kube-apiserver", operation: "Update"))
        }
        for binding in clusterRoleBindings {
            _ = try await store.insert(.clusterRoleBindings, Defaults.apply([
                "metadata": ["name": .string(binding.name), "labels": labels, "annotations": annotations],
                "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string(binding.name)],
                "subjects": .array(binding.groups.map { ["apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": .string($0)] }),
            ], type: .clusterRoleBindings, manager: "kube-apiserver", operation: "Update"))
        }
    }
}
