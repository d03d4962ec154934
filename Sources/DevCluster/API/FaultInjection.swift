import Foundation

/// Test-only chaos: a share of resource requests fail the ways real API servers fail under load,
/// and watches are cut after a number of events, so client retry paths get exercised for real.
public enum DevClusterFault: String, Sendable, CaseIterable {
    /// 500 InternalError.
    case internalError
    /// 429 TooManyRequests with `Retry-After: 1`.
    case throttled
    /// The connection is closed without an answer.
    case connectionReset
}

struct FaultSettings: Sendable {
    typealias Fault = DevClusterFault
    var faultRate: Double = 0
    var dropWatchEvery: Int?
    var faults: [DevClusterFault] = DevClusterFault.allCases

    /// Discovery and OpenAPI are spared: kubectl caches them and the faults target API calls.
    func draw(path: String) -> Fault? {
        guard faultRate > 0, path.hasPrefix("/api/") || path.hasPrefix("/apis/"), path.split(separator: "/").count > 3 else { return nil }
        guard Double.random(in: 0..<1) < faultRate else { return nil }
        return faults.randomElement()
    }
}
