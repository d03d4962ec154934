import Foundation

/// What `/readyz` reports: ready once the pod cache has synced, the last ClearML call worked, the
/// lease (with leader election) is held or watched, and RBAC lets the glue do its core work.
public actor Health {
    /// Core functions an RBAC denial can block, each named by the rule it needs.
    public enum Function: String, Sendable, CaseIterable {
        case createPods = "create task pods"
        case deletePods = "delete task pods"
        case leaderElection = "take part in leader election"
    }

    private var clearMLWorks = false
    private var forbidden: [Function: String] = [:]
    private var leaseProblem: String?
    private let cache: PodCache

    public init(cache: PodCache) { self.cache = cache }

    func clearML(ok: Bool) { clearMLWorks = ok }

    func reportForbidden(_ function: Function, _ message: String) { forbidden[function] = message }
    func clearForbidden(_ function: Function) { forbidden[function] = nil }

    /// Set while a replica has neither renewed nor been able to read the lease for longer than the lease
    /// duration: it cannot know who leads, so it is not a working replica.
    func leaseFailing(_ why: String?) { leaseProblem = why }

    /// nil when ready, else why not.
    public func notReadyReason() async -> String? {
        if !(await cache.isSynced) { return "pod cache not synced yet" }
        if !clearMLWorks { return "ClearML server not reachable (see the glue's log)" }
        if let leaseProblem { return "leader election failing: \(leaseProblem)" }
        if let (function, message) = forbidden.sorted(by: { $0.key.rawValue < $1.key.rawValue }).first {
            return "RBAC forbids the glue to \(function.rawValue): \(message)"
        }
        return nil
    }
}
