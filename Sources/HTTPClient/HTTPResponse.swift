import Foundation

/// Status line and header fields of a response, available before its body.
public struct HTTPResponseHead: Sendable, Equatable {
    public var status: Int
    public var headers: HTTPHeaders
}

/// A response read whole.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// Returns self for a 2xx status, else throws `HTTPClientError.status` carrying the body.
    @discardableResult
    public func ensureSuccess() throws(HTTPClientError) -> HTTPResponse {
        guard isSuccess else { throw .status(code: status, body: body) }
        return self
    }
}

/// A response whose body arrives as it is received.
public struct HTTPStreamingResponse: Sendable {
    public let head: HTTPResponseHead
    public let body: HTTPBody
    public var status: Int { head.status }
    public var headers: HTTPHeaders { head.headers }
}
