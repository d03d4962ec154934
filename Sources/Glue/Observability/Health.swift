/// What `/readyz` reports: ready once the pod cache has synced and the last ClearML call worked.
public actor Health {
    private var clearMLWorks = false
    private let cache: PodCache

    public init(cache: PodCache) { self.cache = cache }

    func clearML(ok: Bool) { clearMLWorks = ok }

    /// nil when ready, else why not.
    public func notReadyReason() async -> String? {
        if !(await cache.isSynced) { return "pod cache not synced yet" }
        if !clearMLWorks { return "ClearML server not reachable (see the glue's log)" }
        return nil
    }
}
