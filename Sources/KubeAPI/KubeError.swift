import JSONValue
import Foundation
import HTTPClient

/// The `Status` object the API server returns with every failure.
public struct KubeStatus: Sendable, Equatable, Codable {
    public struct Cause: Sendable, Equatable, Codable {
        public var reason: String?
        public var message: String?
        public var field: String?
    }

    public struct Details: Sendable, Equatable, Codable {
        public var name: String?
        public var group: String?
        public var kind: String?
        public var uid: String?
        public var causes: [Cause]?
        public var retryAfterSeconds: Int?
    }

    public var status: String?
    public var message: String?
    public var reason: String?
    public var code: Int?
    public var details: Details?

    /// Parses a Status body; nil when the body is something else (a proxy's HTML page, for instance).
    public static func parse(_ body: Data) -> KubeStatus? {
        guard let value = try? JSONValue.decode(body), value["kind"]?.stringValue == "Status" else { return nil }
        return try? JSONDecoder().decode(KubeStatus.self, from: body)
    }
}

/// What a caller should do about a failed call.
public enum KubeErrorKind: String, Sendable, Equatable {
    /// Try again later with backoff: 429, 5xx, timeouts, broken connections.
    case retry
    /// 409 on a stale resourceVersion: re-read and re-apply.
    case conflict
    case alreadyExists
    case notFound
    /// 403, including admission refusals.
    case forbidden
    /// 403 from a ResourceQuota: retrying helps once other pods finish.
    case quotaExceeded
    /// 422 (or 400): the object itself is wrong; retrying cannot help.
    case invalid
    /// 410: the resourceVersion is too old; relist.
    case gone
    case unauthorized
    /// Configuration or local failures (bad TLS material, exec plugin failure, undecodable answer).
    case fatal
}

public struct KubeError: Error, Sendable, CustomStringConvertible {
    public var kind: KubeErrorKind
    public var code: Int?
    public var status: KubeStatus?
    public var retryAfter: Duration?
    public var message: String

    public init(kind: KubeErrorKind, code: Int? = nil, status: KubeStatus? = nil, retryAfter: Duration? = nil, message: String) {
        self.kind = kind
        self.code = code
        self.status = status
        self.retryAfter = retryAfter
        self.message = message
    }

    public var isRetryable: Bool { kind == .retry }
    public var description: String { code.map { "\(message) (HTTP \($0), \(kind.rawValue))" } ?? "\(message) (\(kind.rawValue))" }

    /// Classifies a non-2xx answer from its code, Status body and `Retry-After` header.
    public static func from(code: Int, body: Data, retryAfterHeader: String?) -> KubeError {
        let status = KubeStatus.parse(body)
        let seconds = retryAfterHeader.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? status?.details?.retryAfterSeconds
        let message = status?.message ?? {
            let text = String(decoding: body.prefix(300), as: UTF8.self)
            return text.isEmpty ? "HTTP \(code)" : text
        }()
        let reason = status?.reason ?? ""
        let kind: KubeErrorKind
        switch code {
        case 409 where reason == "AlreadyExists": kind = .alreadyExists
        case 409: kind = .conflict
        case 404: kind = .notFound
        case 403 where message.contains("exceeded quota"): kind = .quotaExceeded
        case 403: kind = .forbidden
        case 401: kind = .unauthorized
        case 410: kind = .gone
        case 400, 422: kind = .invalid
        case 408, 429, 500...599: kind = .retry
        default: kind = .fatal
        }
        return KubeError(kind: kind, code: code, status: status, retryAfter: seconds.map { .seconds($0) }, message: message)
    }

    /// Transport failures: transient ones (connection, timeouts) are retryable, the rest are not.
    public static func from(_ error: HTTPClientError) -> KubeError {
        if case .status(let code, let body) = error { return from(code: code, body: body, retryAfterHeader: nil) }
        return KubeError(kind: error.isTransient ? .retry : .fatal, message: error.description)
    }
}
