import Foundation

/// Why a request failed, classified so callers can decide to retry, fail or fix configuration.
/// Descriptions name the host, never a credential or a full URL with user info.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum TimeoutKind: String, Sendable { case connect, total, idle }

    case invalidURL(String)
    case dnsFailure(host: String, detail: String)
    case connectionRefused(host: String, detail: String)
    case connectionLost(host: String, detail: String)
    case proxyFailure(detail: String)
    case tlsVerificationFailed(host: String, reason: String)
    case tls(host: String, reason: String)
    case timeout(TimeoutKind, host: String, after: Duration)
    case status(code: Int, body: Data)
    case bodyTooLarge(limit: Int)
    case unreadableFile(path: String, role: String, reason: String)
    case invalidPEM(role: String, reason: String)
    case cancelled
    case transport(code: Int, host: String, detail: String)

    /// Worth retrying with backoff: the server may answer next time.
    public var isTransient: Bool {
        switch self {
        case .dnsFailure, .connectionRefused, .connectionLost, .timeout, .proxyFailure: return true
        case .status(let code, _): return code == 429 || code == 502 || code == 503 || code == 504
        case .transport: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .invalidURL(let url): return "invalid URL '\(url)': expected http(s)://host[:port]/path"
        case .dnsFailure(let host, let detail): return "cannot resolve host '\(host)': \(detail) — check the server address and DNS"
        case .connectionRefused(let host, let detail): return "cannot connect to \(host): \(detail) — is the server running and reachable?"
        case .connectionLost(let host, let detail): return "connection to \(host) lost: \(detail)"
        case .proxyFailure(let detail): return "proxy failure: \(detail) — check HTTP_PROXY/HTTPS_PROXY/NO_PROXY"
        case .tlsVerificationFailed(let host, let reason):
            return "TLS certificate of \(host) could not be verified: \(reason) — give the server's CA certificate, or opt in to insecure mode if you really trust this network"
        case .tls(let host, let reason): return "TLS error with \(host): \(reason)"
        case .timeout(let kind, let host, let after): return "\(kind.rawValue) timeout talking to \(host) after \(after)"
        case .status(let code, let body):
            let text = String(decoding: body.prefix(512), as: UTF8.self)
            return "HTTP \(code)" + (text.isEmpty ? "" : ": \(text)")
        case .bodyTooLarge(let limit): return "response body larger than the \(limit)-byte limit"
        case .unreadableFile(let path, let role, let reason): return "cannot read \(role) file '\(path)': \(reason)"
        case .invalidPEM(let role, let reason): return "invalid \(role): \(reason)"
        case .cancelled: return "request cancelled"
        case .transport(let code, let host, let detail): return "transfer with \(host) failed (curl error \(code)): \(detail)"
        }
    }
}
