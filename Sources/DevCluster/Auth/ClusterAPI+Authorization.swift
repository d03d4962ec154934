import Foundation
import JSONValue
import KubeAPI

/// `Impersonate-User`, `Impersonate-Group` (repeatable) and `Impersonate-Uid`, as a request carried them.
struct ImpersonationHeaders: Sendable, Equatable {
    var user: String?
    var groups: [String] = []
    var uid: String?

    var isEmpty: Bool { user == nil && groups.isEmpty && uid == nil }
}

/// Every request, after authentication: impersonation, then authorization, each decision recorded in
/// the access log, a denial answered with the apiserver's 403.
extension ClusterAPI {
    /// Returns the request acting as its effective user, or throws the 400/403 the apiserver answers.
    func admit(_ request: APIRequest) async throws(APIError) -> APIRequest {
        var request = request
        if !request.impersonation.isEmpty { request.user = try await impersonate(request.impersonation, by: request.user) }
        let attributes = RequestAttributes.from(method: request.method, path: request.path, query: request.query, user: request.user)
        try await check(attributes)
        return request
    }

    /// Asks the authorizer, records the answer, throws the 403 of a denial.
    func check(_ attributes: RequestAttributes) async throws(APIError) {
        if warmUp.denies(attributes.user) {
            accessLog.record(attributes, allowed: false)
            throw ForbiddenMessage.error(attributes, reason: "")
        }
        let decision = await authorizer.authorize(attributes)
        accessLog.record(attributes, allowed: decision.allowed)
        guard decision.allowed else { throw ForbiddenMessage.error(attributes, reason: decision.reason) }
    }

    /// k8s.io/apiserver pkg/endpoints/filters/impersonation `WithImpersonation`: each thing asked for is
    /// authorized as verb `impersonate` on `users`, `groups`, `serviceaccounts` (a `system:serviceaccount:`
    /// name) or `uids` (authentication.k8s.io). A service account without explicit groups gets its fixed
    /// groups; `system:authenticated` is added unless a group says (un)authenticated already.
    func impersonate(_ headers: ImpersonationHeaders, by requestor: UserInfo) async throws(APIError) -> UserInfo {
        var asked: [(kind: String, namespace: String, name: String)] = []
        if let user = headers.user, !user.isEmpty {
            if let account = UserInfo.splitServiceAccount(user) {
                asked.append(("ServiceAccount", account.namespace, account.name))
            } else {
                asked.append(("User", "", user))
            }
        }
        asked += headers.groups.map { ("Group", "", $0) }
        if let uid = headers.uid, !uid.isEmpty { asked.append(("UID", "", uid)) }
        guard headers.user.map({ !$0.isEmpty }) ?? false else {
            // `%v` of the []ObjectReference: {Kind Namespace Name UID APIVersion ResourceVersion FieldPath}.
            let described = asked.map { "{\($0.kind) \($0.namespace) \($0.name)  \($0.kind == "UID" ? "authentication.k8s.io/v1" : "")  }" }
            throw APIError.badRequest("requested [\(described.joined(separator: " "))] without impersonating a user")
        }
        var name = ""
        var groups: [String] = []
        var uid = ""
        for request in asked {
            var attributes = RequestAttributes(user: requestor, verb: "impersonate", isResourceRequest: true, namespace: request.namespace, name: request.name)
            switch request.kind {
            case "ServiceAccount":
                attributes.resource = "serviceaccounts"
                name = UserInfo.serviceAccountUsername(namespace: request.namespace, name: request.name)
                if headers.groups.isEmpty { groups = UserInfo.serviceAccountGroups(namespace: request.namespace) }
            case "User":
                attributes.resource = "users"
                name = request.name
            case "Group":
                attributes.resource = "groups"
                groups.append(request.name)
            default:
                attributes.resource = "uids"
                attributes.apiGroup = "authentication.k8s.io"
                attributes.apiVersion = "v1"
                uid = request.name
            }
            try await check(attributes)
        }
        if name != UserInfo.anonymousName {
            if !groups.contains(UserInfo.authenticatedGroup), !groups.contains(UserInfo.unauthenticatedGroup) {
                groups.append(UserInfo.authenticatedGroup)
            }
        } else if !groups.contains(UserInfo.unauthenticatedGroup) {
            groups.append(UserInfo.unauthenticatedGroup)
        }
        return UserInfo(name: name, groups: groups, uid: uid)
    }
}
