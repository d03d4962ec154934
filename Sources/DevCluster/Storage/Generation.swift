import JSONValue
import KubeAPI

/// `metadata.generation` on update, as the registry strategies keep it (k8s pkg/registry/apps/deployment
/// strategy.go `PrepareForUpdate`, and the same in replicaset, job and poddisruptionbudget): unchanged by
/// writes to status or metadata, one more for every write that changes the spec. Clients compare it with
/// `status.observedGeneration` to know whether a controller has seen the latest spec (`helm --wait`,
/// `kubectl rollout status`).
enum Generation {
    static func updated(current: JSONValue, next: JSONValue, type: ResourceType, subresource: String?) -> JSONValue {
        guard ResourceType.generationTracked.contains(type) else { return next }
        var next = next
        let generation = current[path: "metadata", "generation"]?.intValue ?? 1
        let changed = subresource != "status" && (current["spec"] ?? .null) != (next["spec"] ?? .null)
        next[path: "metadata", "generation"] = .int(changed ? generation + 1 : generation)
        return next
    }
}
