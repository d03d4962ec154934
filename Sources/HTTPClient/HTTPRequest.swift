import Foundation

public struct HTTPMethod: RawRepresentable, Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue.uppercased() }
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public var description: String { rawValue }

    public static let get: HTTPMethod = "GET"
    public static let head: HTTPMethod = "HEAD"
    public static let post: HTTPMethod = "POST"
    public static let put: HTTPMethod = "PUT"
    public static let patch: HTTPMethod = "PATCH"
    public static let delete: HTTPMethod = "DELETE"
}

/// Credentials sent in the `Authorization` header. Its description never shows the secret.
public enum HTTPAuthorization: Sendable, Equatable, CustomStringConvertible {
    case bearer(String)
    case basic(username: String, password: String)

    public var headerValue: String {
        switch self {
        case .bearer(let token): return "Bearer \(token)"
        case .basic(let user, let password): return "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        }
    }

    public var description: String {
        switch self {
        case .bearer: return "Bearer ********"
        case .basic(let user, _): return "Basic \(user):********"
        }
    }
}

/// Limits for one transfer. `idle` bounds the silence between two received bytes, which is what a
/// stuck watch looks like; `total` bounds the whole exchange.
public struct HTTPTimeouts: Sendable, Equatable {
    public var connect: Duration?
    public var total: Duration?
    public var idle: Duration?

    public init(connect: Duration? = .seconds(10), total: Duration? = nil, idle: Duration? = nil) {
        self.connect = connect
        self.total = total
        self.idle = idle
    }
}

public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var url: String
    public var headers: HTTPHeaders
    public var body: Data?
    public var authorization: HTTPAuthorization?
    /// Overrides the client's default timeouts for this request.
    public var timeouts: HTTPTimeouts?

    public init(
        method: HTTPMethod = .get, url: String, headers: HTTPHeaders = [:], body: Data? = nil,
        authorization: HTTPAuthorization? = nil, timeouts: HTTPTimeouts? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.authorization = authorization
        self.timeouts = timeouts
    }
}
