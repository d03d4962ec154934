import JSONValue
import Foundation
import KubeAPI

/// A request reduced to what the handlers need, independent of the HTTP server library.
struct APIRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    var accept: String?
    var contentType: String?
    var body: Data
    /// Who sent it (set by authentication), then who it acts as (after impersonation).
    var user = UserInfo(name: UserInfo.anonymousName, groups: [UserInfo.unauthenticatedGroup])
    var impersonation = ImpersonationHeaders()

    func flag(_ name: String) -> Bool { ["true", "1"].contains(query[name] ?? "") }

    func decodedBody() throws(APIError) -> JSONValue {
        if contentType?.contains("protobuf") == true {
            if let object = ProtobufBody.decode(body) { return object }
            throw APIError(code: 415, reason: "UnsupportedMediaType",
                           message: "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml")
        }
        do { return try JSONValue.decode(body) } catch {
            throw .badRequest("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml")
        }
    }
}

/// What a handler answers: one JSON document, plain text, or a stream of chunks (watch, log -f).
enum APIResponse: Sendable {
    case json(Int, JSONValue)
    /// A JSON answer with `Warning: 299 - "..."` headers (unknown fields under `fieldValidation=Warn`).
    case jsonWarning(Int, JSONValue, warnings: [String])
    case text(Int, String)
    case stream(contentType: String, AsyncStream<Data>)

    static func error(_ error: APIError) -> APIResponse { .json(error.code, error.status) }
}

/// Where a request path points.
enum APIRoute: Equatable {
    case version
    case coreVersions
    case groupList
    case group(String)
    case resourceList(group: String, version: String)
    case openAPIRoot
    case openAPIDocument(String)
    case openAPIv2
    /// `/apis/authorization.k8s.io/v1/{self,}subject{access,rules}reviews`, `/apis/authentication.k8s.io/v1/selfsubjectreviews`.
    case review(group: String, plural: String)
    case resource(group: String, version: String, plural: String, namespace: String?, name: String?, subresource: String?)
    case notFound

    static func parse(_ path: String) -> APIRoute {
        let parts = path.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
        switch parts.first {
        case "version": return .version
        case "openapi":
            if parts.count >= 2, parts[1] == "v2" { return .openAPIv2 }
            if parts.count == 2, parts[1] == "v3" { return .openAPIRoot }
            if parts.count > 2, parts[1] == "v3" { return .openAPIDocument(parts[2...].joined(separator: "/")) }
            return .notFound
        case "api":
            if parts.count == 1 { return .coreVersions }
            if parts.count == 2 { return .resourceList(group: "", version: parts[1]) }
            return resource(group: "", version: parts[1], rest: Array(parts[2...]))
        case "apis":
            if parts.count == 1 { return .groupList }
            if parts.count == 2 { return .group(parts[1]) }
            if parts.count == 3 { return .resourceList(group: parts[1], version: parts[2]) }
            if ["authorization.k8s.io", "authentication.k8s.io"].contains(parts[1]), parts.count == 4 { return .review(group: parts[1], plural: parts[3]) }
            return resource(group: parts[1], version: parts[2], rest: Array(parts[3...]))
        default: return .notFound
        }
    }

    /// `namespaces/{ns}/{plural}[/{name}[/{sub}]]`, `{plural}[/{name}[/{sub}]]`, and namespaces themselves.
    static func resource(group: String, version: String, rest: [String]) -> APIRoute {
        if rest.count >= 3, rest[0] == "namespaces", !["status", "finalize"].contains(rest[2]) {
            return .resource(group: group, version: version, plural: rest[2], namespace: rest[1],
                             name: rest.count > 3 ? rest[3] : nil, subresource: rest.count > 4 ? rest[4] : nil)
        }
        guard let plural = rest.first else { return .notFound }
        return .resource(group: group, version: version, plural: plural, namespace: nil,
                         name: rest.count > 1 ? rest[1] : nil, subresource: rest.count > 2 ? rest[2] : nil)
    }
}
