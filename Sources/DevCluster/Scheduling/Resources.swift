import JSONValue
import Foundation
import KubeAPI

/// What a pod asks for, in the units the node is described in.
struct ResourceRequest: Sendable, Equatable {
    var cpu: Double = 0
    var memory: Double = 0
    var gpus: Double = 0

    static func + (a: ResourceRequest, b: ResourceRequest) -> ResourceRequest {
        ResourceRequest(cpu: a.cpu + b.cpu, memory: a.memory + b.memory, gpus: a.gpus + b.gpus)
    }

    static func max(_ a: ResourceRequest, _ b: ResourceRequest) -> ResourceRequest {
        ResourceRequest(cpu: Swift.max(a.cpu, b.cpu), memory: Swift.max(a.memory, b.memory), gpus: Swift.max(a.gpus, b.gpus))
    }

    /// Kubernetes' effective request: the larger of the sum of app containers and the largest init container.
    /// A missing request defaults to the limit, as the API server's defaulting does.
    static func of(pod: JSONValue) -> ResourceRequest {
        func container(_ c: JSONValue) -> ResourceRequest {
            let requests = c[path: "resources", "requests"]?.objectValue ?? [:]
            let limits = c[path: "resources", "limits"]?.objectValue ?? [:]
            func value(_ key: String) -> Double {
                (requests[key] ?? limits[key]).flatMap(\.stringValue).flatMap(Quantity.parse) ?? 0
            }
            return ResourceRequest(cpu: value("cpu"), memory: value("memory"), gpus: value("nvidia.com/gpu"))
        }
        let apps = (pod[path: "spec", "containers"]?.arrayValue ?? []).map(container).reduce(ResourceRequest(), +)
        let inits = (pod[path: "spec", "initContainers"]?.arrayValue ?? []).map(container).reduce(ResourceRequest(), max)
        return max(apps, inits)
    }
}

/// The node's capacity and what a placement decision needs to say when it fails.
struct NodeCapacity: Sendable {
    var cpu: Double
    var memory: Double
    var gpus: Double

    /// The scheduler's FailedScheduling text for a one-node cluster, e.g.
    /// `0/1 nodes are available: 1 Insufficient nvidia.com/gpu.`
    func unschedulableMessage(request: ResourceRequest, used: ResourceRequest) -> String? {
        var reasons: [String] = []
        if request.cpu > 0, used.cpu + request.cpu > cpu + 1e-9 { reasons.append("1 Insufficient cpu") }
        if request.memory > 0, used.memory + request.memory > memory { reasons.append("1 Insufficient memory") }
        if request.gpus > 0, used.gpus + request.gpus > gpus + 1e-9 { reasons.append("1 Insufficient nvidia.com/gpu") }
        guard !reasons.isEmpty else { return nil }
        return "0/1 nodes are available: \(reasons.sorted().joined(separator: ", "))."
    }
}
