import KubeAPI

/// The kinds a Helm chart or a kustomization of a controller typically creates besides the core ones:
/// Services, Deployments with their ReplicaSets, and PodDisruptionBudgets.
extension ResourceType {
    static let services = ResourceType(group: "", version: "v1", plural: "services", kind: "Service", namespaced: true)
    static let deployments = ResourceType(group: "apps", version: "v1", plural: "deployments", kind: "Deployment", namespaced: true)
    static let replicaSets = ResourceType(group: "apps", version: "v1", plural: "replicasets", kind: "ReplicaSet", namespaced: true)
    static let podDisruptionBudgets = ResourceType(
        group: "policy", version: "v1", plural: "poddisruptionbudgets", kind: "PodDisruptionBudget", namespaced: true)

    /// Kinds whose `spec.template` is a pod template (validated and defaulted like a pod's spec).
    static let podTemplateOwners: Set<ResourceType> = [.deployments, .replicaSets, .jobs]

    /// Kinds whose `metadata.generation` counts spec changes (the registry strategies of
    /// pkg/registry/{apps,batch,policy}: 1 at create, +1 when the spec changes).
    static let generationTracked: Set<ResourceType> = [.deployments, .replicaSets, .jobs, .podDisruptionBudgets]
}
