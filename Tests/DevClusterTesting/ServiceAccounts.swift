import DevCluster
import Foundation
import HTTPClient
import JSONValue
import KubeAPI

/// A ServiceAccount's identity on a DevCluster: its token (from the TokenRequest API), a kubeconfig
/// written with it, and a client that acts as it.
public struct ServiceAccountIdentity: Sendable {
    public var namespace: String
    public var name: String
    public var token: String
    public var kubeconfigPath: String
    public var client: KubeClient
    /// `system:serviceaccount:NS:NAME`, the user RBAC and the access log know it as.
    public var username: String { "system:serviceaccount:\(namespace):\(name)" }
}

/// Raw HTTPS to the cluster, as the admin unless `token` says otherwise.
public func clusterRequest(
    _ cluster: DevCluster, _ path: String, method: HTTPMethod = .get, body: JSONValue? = nil, token: String? = nil,
    headers: [(String, String)] = []
) async throws -> HTTPResponse {
    let client = try HTTPClient(configuration: HTTPClientConfiguration(
        tls: TLSConfiguration(certificateAuthority: .file(cluster.caCertificatePath), trustSystemRoots: false), proxy: .none))
    var fields: HTTPHeaders = ["Content-Type": "application/json", "Accept": "application/json"]
    for (name, value) in headers { fields.add(name: name, value: value) }
    return try await client.execute(HTTPRequest(
        method: method, url: cluster.server + path, headers: fields, body: body?.encoded(), authorization: .bearer(token ?? cluster.token)))
}

/// `kubectl create token NAME -n NAMESPACE`: POSTs a TokenRequest as the admin and returns `status.token`.
public func requestServiceAccountToken(_ cluster: DevCluster, namespace: String, name: String, expirationSeconds: Int? = nil) async throws -> String {
    var request: JSONValue = ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": [:]]
    if let expirationSeconds { request[path: "spec", "expirationSeconds"] = .int(Int64(expirationSeconds)) }
    let response = try await clusterRequest(cluster, "/api/v1/namespaces/\(namespace)/serviceaccounts/\(name)/token", method: .post, body: request)
    guard response.status == 201, let token = try JSONValue.decode(response.body)[path: "status", "token"]?.stringValue else {
        throw KubeError(kind: .fatal, code: response.status, message: "TokenRequest for \(namespace)/\(name) answered \(response.status): \(response.bodyText)")
    }
    return token
}

/// Creates `objects` (ServiceAccounts, Roles, RoleBindings... any served kind, in order) as the admin;
/// an object that exists already is left as it is.
public func createObjects(_ objects: [JSONValue], admin: KubeClient) async throws {
    for object in objects {
        let kind = object["kind"]?.stringValue ?? ""
        guard let type = ResourceType.served(kind: kind) else { throw KubeError(kind: .invalid, message: "no served resource for kind \(kind)") }
        do {
            _ = try await admin.create(type, namespace: type.namespaced ? object[path: "metadata", "namespace"]?.stringValue : nil, object)
        } catch let error as KubeError where error.kind == .alreadyExists {}
    }
}

/// The ServiceAccount `namespace/name` (created if missing), a token for it and a kubeconfig and client
/// acting as it. Bind it to roles with `createObjects` before or after.
public func serviceAccountIdentity(_ cluster: DevCluster, admin: KubeClient, namespace: String, name: String) async throws -> ServiceAccountIdentity {
    try await createObjects([["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": .string(name), "namespace": .string(namespace)]]], admin: admin)
    let token = try await requestServiceAccountToken(cluster, namespace: namespace, name: name)
    let path = cluster.dataDirectory + "/kubeconfig-\(namespace)-\(name)"
    try cluster.writeKubeconfig(to: path, token: token, user: "system:serviceaccount:\(namespace):\(name)", namespace: namespace)
    var configuration = try KubeConfiguration.load(kubeconfig: path, environment: [:])
    configuration.qps = 0
    return ServiceAccountIdentity(namespace: namespace, name: name, token: token, kubeconfigPath: path, client: try KubeClient(configuration: configuration))
}

extension ResourceType {
    static let rbacGroup = "rbac.authorization.k8s.io"

    /// The served resource of a manifest's kind (core and the RBAC group).
    public static func served(kind: String) -> ResourceType? {
        let known: [ResourceType] = [
            .pods, .events, .namespaces, .configMaps, .secrets, .serviceAccounts, .nodes, .leases, .jobs,
            ResourceType(group: rbacGroup, version: "v1", plural: "roles", kind: "Role", namespaced: true),
            ResourceType(group: rbacGroup, version: "v1", plural: "rolebindings", kind: "RoleBinding", namespaced: true),
            ResourceType(group: rbacGroup, version: "v1", plural: "clusterroles", kind: "ClusterRole", namespaced: false),
            ResourceType(group: rbacGroup, version: "v1", plural: "clusterrolebindings", kind: "ClusterRoleBinding", namespaced: false),
        ]
        return known.first { $0.kind == kind }
    }
}
