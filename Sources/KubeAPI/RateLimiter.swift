import Foundation

/// Client-side token bucket (client-go's QPS/burst), plus a global pause that every request honours
/// after the server answered 429 with `Retry-After`: one throttled call slows down the whole client,
/// instead of each caller discovering the throttle separately.
public actor RateLimiter {
    public nonisolated let qps: Double
    public nonisolated let burst: Int
    private var tokens: Double
    private var last: ContinuousClock.Instant
    private var pausedUntil: ContinuousClock.Instant?
    private let clock = ContinuousClock()

    /// `qps <= 0` turns the bucket off (the pause still applies).
    public init(qps: Double, burst: Int) {
        self.qps = qps
        self.burst = max(1, burst)
        self.tokens = Double(max(1, burst))
        self.last = ContinuousClock().now
    }

    /// Waits until the request may be sent.
    public func acquire() async throws {
        while let until = pausedUntil, until > clock.now {
            try await Task.sleep(until: until, clock: clock)
        }
        guard qps > 0 else { return }
        refill()
        tokens -= 1
        if tokens < 0 {
            // The token is reserved now, so concurrent callers queue behind it in order.
            let wait = -tokens / qps
            try await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
        }
    }

    /// Holds back every request for `duration` (longest pause wins).
    public func pause(for duration: Duration) {
        let until = clock.now.advanced(by: duration)
        if pausedUntil.map({ until > $0 }) ?? true { pausedUntil = until }
    }

    public var isPaused: Bool { pausedUntil.map { $0 > clock.now } ?? false }

    private func refill() {
        let now = clock.now
        let elapsed = last.duration(to: now)
        last = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(Double(burst), tokens + seconds * qps)
    }
}
