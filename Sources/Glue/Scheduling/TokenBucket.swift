/// A token bucket: `rate` tokens a second, at most `burst` saved up. Bounds pod creates (and API calls)
/// so a backlog of thousands of tasks does not hit the API server all at once. Time is passed in, so the
/// arithmetic is tested without sleeping.
public struct TokenBucket: Sendable, Equatable {
    public let rate: Double
    public let burst: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant?

    public init(rate: Double, burst: Int) {
        self.rate = max(rate, 0.001)
        self.burst = Double(max(burst, 1))
        tokens = self.burst
    }

    /// Takes a token if one is there (returns zero), else returns how long until one will be.
    public mutating func take(now: ContinuousClock.Instant) -> Duration {
        if let last {
            let elapsed = now - last
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            tokens = min(burst, tokens + seconds * rate)
        }
        last = now
        if tokens >= 1 {
            tokens -= 1
            return .zero
        }
        return .milliseconds(Int64(((1 - tokens) / rate * 1000).rounded(.up)))
    }
}
