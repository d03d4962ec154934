import Synchronization

/// A kube-apiserver that has just restarted answers correctly authorised requests with 403 until its
/// RBAC informers have synced (seen: `403 pods is forbidden`, then `201` 26 ms later). Tests open such
/// a window to check that clients treat the 403 as transient; the cluster admin (`system:masters`,
/// which RBAC never decides) is not affected, as upstream.
final class AuthorizerWarmUp: Sendable {
    private let until = Mutex<ContinuousClock.Instant?>(nil)

    func start(for duration: Duration) { until.withLock { $0 = .now + duration } }

    func denies(_ user: UserInfo) -> Bool {
        guard !user.groups.contains(UserInfo.mastersGroup) else { return false }
        return until.withLock { deadline in
            guard let end = deadline else { return false }
            if ContinuousClock.now < end { return true }
            deadline = nil
            return false
        }
    }
}
