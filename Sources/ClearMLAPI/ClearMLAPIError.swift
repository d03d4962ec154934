import HTTPClient

/// Why a ClearML call failed. Descriptions name the endpoint and the server's own message, never a
/// credential or token.
public enum ClearMLAPIError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The server answered with an error envelope (`meta.result_code`/`result_subcode`/`result_msg`).
    case server(endpoint: String, code: Int, subcode: Int, message: String)
    /// The request failed below HTTP and was not (or no longer) retried.
    case transport(endpoint: String, HTTPClientError)
    /// Every allowed attempt failed with a transient error; the last one is kept.
    case unavailable(endpoint: String, attempts: Int, lastError: String)
    /// The answer was not a ClearML envelope (a proxy page, a truncated body...).
    case invalidResponse(endpoint: String, status: Int, detail: String)
    case authentication(String)
    case configuration(String)

    public var description: String {
        switch self {
        case .server(let endpoint, let code, let subcode, let message):
            return "\(endpoint) failed: \(code)/\(subcode) \(message)"
        case .transport(let endpoint, let error):
            return "\(endpoint) failed: \(error)"
        case .unavailable(let endpoint, let attempts, let lastError):
            // The transport error may carry a generic hint; the specific one replaces it.
            let generic = " — is the server running and reachable?"
            let detail = lastError.hasSuffix(generic) ? String(lastError.dropLast(generic.count)) : lastError
            return "\(endpoint) failed after \(attempts) attempts; last error: \(detail) — is the ClearML server up and reachable?"
        case .invalidResponse(let endpoint, let status, let detail):
            return "\(endpoint): HTTP \(status) without a ClearML response envelope (\(detail)) — is api_server pointing at the ClearML API (port 8008), not the web UI?"
        case .authentication(let message), .configuration(let message):
            return message
        }
    }

    /// The server's (code, subcode), when it answered with an error envelope.
    public var serverCodes: (code: Int, subcode: Int)? {
        if case .server(_, let code, let subcode, _) = self { return (code, subcode) }
        return nil
    }

    public func isServerError(code: Int, subcode: Int) -> Bool {
        serverCodes.map { $0.code == code && $0.subcode == subcode } ?? false
    }
}

/// The upstream error codes the glue and agent react to (`apierrors/errors.conf`).
public enum ClearMLErrorCode {
    public static let missingRequiredFields = (400, 11)
    public static let invalidTaskID = (400, 101)
    public static let invalidTaskStatus = (400, 110)
    public static let failedChangingTaskStatus = (400, 121)
    public static let invalidQueueID = (400, 701)
    public static let taskNotQueued = (400, 703)
    public static let taskAlreadyQueued = (400, 706)
    public static let noDefaultQueue = (400, 707)
    public static let expectedUniqueData = (400, 801)
}

extension ClearMLAPIError {
    /// A short, bounded label for metrics (never the message: it may name tasks or hosts).
    public var metricKind: String {
        switch self {
        case .server(_, let code, let subcode, _): return "server_\(code)_\(subcode)"
        case .transport: return "transport"
        case .unavailable: return "unavailable"
        case .invalidResponse(_, let status, _): return "invalid_\(status)"
        case .authentication: return "authentication"
        case .configuration: return "configuration"
        }
    }
}
