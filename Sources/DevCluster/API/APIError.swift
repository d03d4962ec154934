import JSONValue
import Foundation
import KubeAPI

/// A failure answered as a Kubernetes `Status` object, shaped exactly as the real API server shapes it.
struct APIError: Error, Sendable {
    var code: Int
    var reason: String
    var message: String
    var details: JSONValue?
    var retryAfterSeconds: Int?

    var status: JSONValue {
        var status: JSONValue = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": .int(Int64(code)),
        ]
        if let details { status["details"] = details }
        return status
    }

    static func notFound(_ resource: String, _ name: String, group: String = "") -> APIError {
        let qualified = group.isEmpty ? resource : "\(resource).\(group)"
        var details: JSONValue = ["name": .string(name), "kind": .string(resource)]
        if !group.isEmpty { details["group"] = .string(group) }
        return APIError(code: 404, reason: "NotFound", message: "\(qualified) \"\(name)\" not found", details: details)
    }

    static func alreadyExists(_ resource: String, _ name: String, group: String = "") -> APIError {
        let qualified = group.isEmpty ? resource : "\(resource).\(group)"
        var details: JSONValue = ["name": .string(name), "kind": .string(resource)]
        if !group.isEmpty { details["group"] = .string(group) }
        return APIError(code: 409, reason: "AlreadyExists", message: "\(qualified) \"\(name)\" already exists", details: details)
    }

    static func conflict(_ resource: String, _ name: String, group: String = "") -> APIError {
        let qualified = group.isEmpty ? resource : "\(resource).\(group)"
        return APIError(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on \(qualified) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again",
            details: ["name": .string(name), "kind": .string(resource)])
    }

    /// 422 with one cause per field, as `kubectl` prints them.
    /// `group`: the kind's API group, which qualifies the kind in the message (`Role.rbac.authorization.k8s.io`).
    static func invalid(kind: String, group: String = "", name: String, causes: [(field: String, reason: String, message: String)]) -> APIError {
        // util/errors aggregate.Error(): duplicates once, and `[e1, e2]` when more than one remains.
        var distinct: [String] = []
        for text in causes.map({ "\($0.field): \($0.message)" }) where !distinct.contains(text) { distinct.append(text) }
        let text = distinct.count > 1 ? "[" + distinct.joined(separator: ", ") + "]" : distinct.joined()
        let shownName = name.isEmpty ? "" : " \"\(name)\""
        var details: JSONValue = [
            "name": .string(name), "kind": .string(kind),
            "causes": .array(causes.map { ["reason": .string($0.reason), "message": .string($0.message), "field": .string($0.field)] }),
        ]
        if !group.isEmpty { details["group"] = .string(group) }
        return APIError(
            code: 422, reason: "Invalid", message: "\(group.isEmpty ? kind : "\(kind).\(group)")\(shownName) is invalid: \(text)",
            details: details)
    }

    /// 422 for a bad query option (`CreateOptions.meta.k8s.io "" is invalid: ...`; apimachinery
    /// `meta/v1/validation` validates the options object, whose name is always empty).
    static func invalidOptions(_ options: String, field: String, _ message: String) -> APIError {
        APIError(
            code: 422, reason: "Invalid", message: "\(options).meta.k8s.io \"\" is invalid: \(field): \(message)",
            details: ["group": "meta.k8s.io", "kind": .string(options), "causes": [["reason": "FieldValueNotSupported", "message": .string(message), "field": .string(field)]]])
    }

    static func badRequest(_ message: String) -> APIError { APIError(code: 400, reason: "BadRequest", message: message) }

    static func gone(_ message: String) -> APIError { APIError(code: 410, reason: "Expired", message: message) }

    static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")

    static func methodNotAllowed(_ method: String) -> APIError {
        APIError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
    }

    static let tooManyRequests = APIError(
        code: 429, reason: "TooManyRequests", message: "Too many requests, please try again later.",
        details: ["retryAfterSeconds": 1], retryAfterSeconds: 1)

    static let internalError = APIError(
        code: 500, reason: "InternalError", message: "Internal error occurred: injected fault")
}
