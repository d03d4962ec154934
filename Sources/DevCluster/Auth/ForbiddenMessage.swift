import Foundation
import JSONValue

/// The 403 an authorizer's denial becomes, word for word as the apiserver writes it
/// (k8s.io/apiserver pkg/endpoints/handlers/responsewriters/errors.go `forbiddenMessage`,
/// `ForbiddenStatusError`; apimachinery pkg/api/errors/errors.go `NewForbidden`).
enum ForbiddenMessage {
    /// `User "U" cannot VERB path "/p"`, `User "U" cannot VERB resource "r[/sub]" in API group "g" in the
    /// namespace "ns"`, or `... at the cluster scope`.
    static func message(_ request: RequestAttributes) -> String {
        let user = GoQuote.quote(request.user.name)
        guard request.isResourceRequest else {
            return "User \(user) cannot \(request.verb) path \(GoQuote.quote(request.path))"
        }
        let what = "User \(user) cannot \(request.verb) resource \(GoQuote.quote(request.combinedResource)) in API group \(GoQuote.quote(request.apiGroup))"
        if !request.namespace.isEmpty { return what + " in the namespace \(GoQuote.quote(request.namespace))" }
        return what + " at the cluster scope"
    }

    /// `&`, `<`, `>` become HTML entities; a non-empty authorizer reason follows after `: `; the
    /// resource (never the subresource) and the name lead the message and fill `details`.
    static func error(_ request: RequestAttributes, reason: String) -> APIError {
        let sanitized = message(request).replacingOccurrences(of: "&", with: "&amp;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        let text = reason.isEmpty ? sanitized : "\(sanitized): \(reason)"
        let resource = request.isResourceRequest ? request.resource : ""
        let group = request.isResourceRequest ? request.apiGroup : ""
        let name = request.isResourceRequest ? request.name : ""
        let qualified = group.isEmpty ? resource : "\(resource).\(group)"
        let message: String
        if resource.isEmpty, group.isEmpty {
            message = "forbidden: \(text)"
        } else if name.isEmpty {
            message = "\(qualified) is forbidden: \(text)"
        } else {
            message = "\(qualified) \(GoQuote.quote(name)) is forbidden: \(text)"
        }
        var details: [String: JSONValue] = [:]
        if !name.isEmpty { details["name"] = .string(name) }
        if !group.isEmpty { details["group"] = .string(group) }
        if !resource.isEmpty { details["kind"] = .string(resource) }
        return APIError(code: 403, reason: "Forbidden", message: message, details: .object(details))
    }
}
