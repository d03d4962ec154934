import Foundation
import HTTPClient

/// When and how long to wait before trying a failed call again: exponential backoff with full jitter,
/// bounded in attempts, honouring Retry-After.
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxAttempts: Int = 6, baseDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(10)) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    public static let none = RetryPolicy(maxAttempts: 1)

    /// A failed attempt, as far as retrying is concerned.
    public enum Failure: Sendable, Equatable {
        case transport(HTTPClientError)
        case status(Int)
    }

    /// Whether trying again is safe and useful. A call that changes state on the server (a queue pop, a
    /// dequeue) is retried only when the request certainly was not processed: the connection was never
    /// made, or the server refused it up front (429, 503). Retrying after a lost answer could pop a second
    /// task or report a claim as failed.
    public static func shouldRetry(_ failure: Failure, idempotent: Bool) -> Bool {
        switch failure {
        case .status(let code):
            if code == 429 || code == 503 { return true }
            return idempotent && (code == 502 || code == 504)
        case .transport(let error):
            switch error {
            case .connectionRefused, .dnsFailure, .proxyFailure, .timeout(.connect, _, _): return true
            case .connectionLost, .timeout, .transport: return idempotent
            default: return false
            }
        }
    }

    /// The pause before attempt `attempt + 1` (attempt counts from 1). `random` in [0, 1) picks the jitter.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration?, random: Double) -> Duration {
        if let retryAfter { return min(retryAfter, .seconds(60)) }
        let exponent = min(attempt - 1, 30)
        let ceiling = min(baseDelay * (1 << exponent), maxDelay)
        return ceiling * max(0.1, random)
    }

    /// `Retry-After` as seconds; HTTP dates are rare from ClearML and are ignored.
    public static func retryAfter(from header: String?) -> Duration? {
        guard let header, let seconds = Double(header.trimmingCharacters(in: .whitespaces)), seconds >= 0 else { return nil }
        return .milliseconds(Int64(seconds * 1000))
    }
}
