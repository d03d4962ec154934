import Foundation

/// What the authorizer is asked about one request: the apiserver's `RequestInfo` plus the user
/// (k8s.io/apiserver pkg/endpoints/request/requestinfo.go `NewRequestInfo`,
/// pkg/authorization/authorizer/interfaces.go `AttributesRecord`).
public struct RequestAttributes: Sendable, Hashable {
    public var user: UserInfo
    public var verb: String
    public var isResourceRequest: Bool
    /// The URL path, for non-resource requests (`/version`, `/apis`, `/openapi/v3`).
    public var path: String
    public var apiGroup = ""
    public var apiVersion = ""
    public var namespace = ""
    public var resource = ""
    public var subresource = ""
    public var name = ""

    public init(user: UserInfo, verb: String, isResourceRequest: Bool, path: String = "", apiGroup: String = "", apiVersion: String = "",
                namespace: String = "", resource: String = "", subresource: String = "", name: String = "") {
        self.user = user
        self.verb = verb
        self.isResourceRequest = isResourceRequest
        self.path = path
        self.apiGroup = apiGroup
        self.apiVersion = apiVersion
        self.namespace = namespace
        self.resource = resource
        self.subresource = subresource
        self.name = name
    }

    /// HTTP method -> verb, before the list/watch/deletecollection refinements.
    static let methodVerbs: [String: String] = [
        "POST": "create", "GET": "get", "HEAD": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete",
    ]
    static let apiPrefixes: Set<String> = ["api", "apis"]
    static let grouplessAPIPrefixes: Set<String> = ["api"]
    static let specialVerbs: Set<String> = ["proxy", "watch"]
    static let specialVerbsNoSubresources: Set<String> = ["proxy"]
    static let namespaceSubresources: Set<String> = ["status", "finalize"]

    /// `NewRequestInfo`: a path with fewer than three segments, or outside `/api` and `/apis`, is a
    /// non-resource request whose verb is the lower-cased method. Otherwise the verb comes from the
    /// method (or a `/watch/`, `/proxy/` prefix), and a `get` without a name is `list` (`watch` when
    /// the `watch` parameter is anything but `false`/`0`), a `delete` without one `deletecollection`.
    /// A list or watch whose field selector requires `metadata.name=X` carries the name X.
    public static func from(method: String, path: String, query: [String: String], user: UserInfo) -> RequestAttributes {
        var info = RequestAttributes(user: user, verb: method.lowercased(), isResourceRequest: false, path: path)
        var parts = path.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
        guard parts.count >= 3, apiPrefixes.contains(parts[0]) else { return info }
        let prefix = parts.removeFirst()
        if !grouplessAPIPrefixes.contains(prefix) {
            guard parts.count >= 3 else { return info }
            info.apiGroup = parts.removeFirst()
        }
        info.isResourceRequest = true
        info.apiVersion = parts.removeFirst()
        if specialVerbs.contains(parts[0]) {
            guard parts.count >= 2 else { return info }
            info.verb = parts.removeFirst()
        } else {
            info.verb = methodVerbs[method.uppercased()] ?? ""
        }
        if parts[0] == "namespaces" {
            if parts.count > 1 {
                info.namespace = parts[1]
                if parts.count > 2, !namespaceSubresources.contains(parts[2]) { parts.removeFirst(2) }
            }
        }
        if parts.count >= 3, !specialVerbsNoSubresources.contains(info.verb) { info.subresource = parts[2] }
        if parts.count >= 2 { info.name = parts[1] }
        if parts.count >= 1 { info.resource = parts[0] }

        if info.name.isEmpty, info.verb == "get" {
            let watch = query["watch"].map { !["false", "0"].contains($0.lowercased()) } ?? false
            info.verb = watch ? "watch" : "list"
            if let name = exactName(fieldSelector: query["fieldSelector"]), isPathSegmentName(name) { info.name = name }
        }
        if info.name.isEmpty, info.verb == "delete" { info.verb = "deletecollection" }
        return info
    }

    /// `fields.Selector.RequiresExactMatch("metadata.name")`: the value of a `metadata.name=` or
    /// `metadata.name==` term.
    static func exactName(fieldSelector: String?) -> String? {
        guard let fieldSelector, !fieldSelector.isEmpty else { return nil }
        for term in fieldSelector.split(separator: ",") {
            let text = term.trimmingCharacters(in: .whitespaces)
            for op in ["==", "="] where text.hasPrefix("metadata.name" + op) {
                let value = String(text.dropFirst("metadata.name".count + op.count))
                if value.hasPrefix("=") { continue }
                return value
            }
        }
        return nil
    }

    /// apimachinery pkg/api/validation/path `IsValidPathSegmentName`.
    static func isPathSegmentName(_ name: String) -> Bool {
        name != "." && name != ".." && !name.contains("/") && !name.contains("%")
    }

    /// `resource` or `resource/subresource`, as rules name it.
    public var combinedResource: String { subresource.isEmpty ? resource : "\(resource)/\(subresource)" }
}
