import Foundation

/// Who a request acts as, after authentication and impersonation: a user name and its groups, as the
/// apiserver's `user.Info` (k8s.io/apiserver pkg/authentication/user/user.go).
public struct UserInfo: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var groups: [String]
    public var uid: String

    public init(name: String, groups: [String], uid: String = "") {
        self.name = name
        self.groups = groups
        self.uid = uid
    }

    /// `user.SystemPrivilegedGroup`: members are allowed everything, before RBAC is asked
    /// (apiserver pkg/authorization/authorizerfactory/builtin.go `privilegedGroupAuthorizer`).
    public static let mastersGroup = "system:masters"
    /// `user.AllAuthenticated`: every authenticated user is in it.
    public static let authenticatedGroup = "system:authenticated"
    public static let unauthenticatedGroup = "system:unauthenticated"
    public static let anonymousName = "system:anonymous"
    public static let serviceAccountsGroup = "system:serviceaccounts"

    /// The cluster admin of the kubeconfig `clearml-glue-dev cluster` writes (its token and its client
    /// certificate, `O=system:masters, CN=devcluster-admin`).
    public static let admin = UserInfo(name: "devcluster-admin", groups: [mastersGroup, authenticatedGroup])

    public var description: String { groups.isEmpty ? name : "\(name)[\(groups.joined(separator: ","))]" }

    public var isPrivileged: Bool { groups.contains(Self.mastersGroup) }

    /// `system:serviceaccount:NS:NAME` in `system:serviceaccounts`, `system:serviceaccounts:NS`,
    /// `system:authenticated` (apiserver pkg/authentication/serviceaccount/util.go `MakeUsername`,
    /// `MakeGroupNames`; the authenticated group is added by the authentication filter).
    public static func serviceAccount(namespace: String, name: String, uid: String = "") -> UserInfo {
        UserInfo(name: serviceAccountUsername(namespace: namespace, name: name),
                 groups: serviceAccountGroups(namespace: namespace) + [authenticatedGroup], uid: uid)
    }

    public static func serviceAccountUsername(namespace: String, name: String) -> String {
        "system:serviceaccount:\(namespace):\(name)"
    }

    static func serviceAccountGroups(namespace: String) -> [String] {
        [serviceAccountsGroup, "\(serviceAccountsGroup):\(namespace)"]
    }

    /// `serviceaccount.SplitUsername`: (namespace, name) of `system:serviceaccount:NS:NAME`, nil otherwise.
    static func splitServiceAccount(_ username: String) -> (namespace: String, name: String)? {
        let prefix = "system:serviceaccount:"
        guard username.hasPrefix(prefix) else { return nil }
        let parts = username.dropFirst(prefix.count).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]))
    }
}
