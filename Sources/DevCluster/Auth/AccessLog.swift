import Foundation
import Synchronization

/// One kind of call a user made, as the authorizer saw it: what RBAC rules are written against
/// (group, resource, subresource, verb, and the object name that `resourceNames` match) plus where, and
/// whether it was allowed.
public struct AccessRecord: Sendable, Hashable, CustomStringConvertible {
    public var verb: String
    public var apiGroup: String
    public var resource: String
    public var subresource: String
    public var namespace: String
    /// The object's name when the request names one (get, update, patch, delete, a subresource, a list
    /// narrowed by `metadata.name`); empty for lists, watches of all and creates.
    public var name: String
    /// The path of a non-resource request (`/version`, `/apis`); empty for resource requests.
    public var path: String
    public var allowed: Bool

    public init(verb: String, apiGroup: String, resource: String, subresource: String = "", namespace: String = "", name: String = "",
                path: String = "", allowed: Bool) {
        self.verb = verb
        self.apiGroup = apiGroup
        self.resource = resource
        self.subresource = subresource
        self.namespace = namespace
        self.name = name
        self.path = path
        self.allowed = allowed
    }

    init(_ request: RequestAttributes, allowed: Bool) {
        self.init(verb: request.verb, apiGroup: request.apiGroup, resource: request.resource, subresource: request.subresource,
                  namespace: request.namespace, name: request.name, path: request.isResourceRequest ? "" : request.path, allowed: allowed)
    }

    public var isResourceRequest: Bool { path.isEmpty }

    /// The request this record stands for, as the authorizer is asked about it.
    public func attributes(user: UserInfo) -> RequestAttributes {
        RequestAttributes(user: user, verb: verb, isResourceRequest: isResourceRequest, path: path, apiGroup: apiGroup,
                          namespace: namespace, resource: resource, subresource: subresource, name: name)
    }

    /// `verb resource[/sub] (group) in ns: allowed|denied`.
    public var description: String {
        let what = isResourceRequest
            ? "\(verb) \(subresource.isEmpty ? resource : "\(resource)/\(subresource)")\(name.isEmpty ? "" : " \(name)") (API group \"\(apiGroup)\")"
                + (namespace.isEmpty ? " cluster-wide" : " in \(namespace)")
            : "\(verb) \(path)"
        return what + (allowed ? ": allowed" : ": denied")
    }
}

/// Every distinct authorization decision, per user name, with how often it was made.
final class AccessLog: Sendable {
    private let entries = Mutex<[String: [AccessRecord: Int]]>([:])

    func record(_ request: RequestAttributes, allowed: Bool) {
        let record = AccessRecord(request, allowed: allowed)
        entries.withLock { $0[request.user.name, default: [:]][record, default: 0] += 1 }
    }

    func records(user: String) -> [AccessRecord: Int] { entries.withLock { $0[user] ?? [:] } }

    var users: [String] { entries.withLock { Array($0.keys).sorted() } }

    func reset() { entries.withLock { $0.removeAll() } }
}
