import Synchronization

/// How many calls each client made, by endpoint: lets tests and benchmarks measure a client's cost on the
/// server side (what the user's ClearML server would see) instead of trusting the client's own count.
/// Clients are told apart by their `X-ClearML-Worker` header ("" when they send none).
final class CallLedger: Sendable {
    private let counts = Mutex<[String: [String: Int]]>([:])

    func record(worker: String?, endpoint: String) {
        counts.withLock { $0[worker ?? "", default: [:]][endpoint, default: 0] += 1 }
    }

    func counts(worker: String?) -> [String: Int] {
        counts.withLock { $0[worker ?? ""] ?? [:] }
    }
}
