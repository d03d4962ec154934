/// Whether one more pod may start, from the live pods in the cache (pending or running; finished pods
/// waiting for cleanup do not count, unlike upstream, which counted them and stalled).
public struct Capacity: Sendable, Equatable {
    public var maxPods: Int?
    public var maxPodsPerQueue: [String: Int]

    public init(maxPods: Int? = nil, maxPodsPerQueue: [String: Int] = [:]) {
        self.maxPods = maxPods
        self.maxPodsPerQueue = maxPodsPerQueue
    }

    /// - Parameter livePods: live pods by queue id.
    public func allows(queue: String, livePods: [String: Int]) -> Bool {
        if let maxPods, livePods.values.reduce(0, +) >= maxPods { return false }
        if let limit = maxPodsPerQueue[queue], livePods[queue, default: 0] >= limit { return false }
        return true
    }

    /// True when no queue could take a pod, so the scheduler need not poll at all.
    public func full(livePods: [String: Int]) -> Bool {
        if let maxPods { return livePods.values.reduce(0, +) >= maxPods }
        return false
    }
}
