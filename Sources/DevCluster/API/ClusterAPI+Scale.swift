import Foundation
import JSONValue
import KubeAPI

/// The `scale` subresource of Deployments and ReplicaSets (`kubectl scale`, HorizontalPodAutoscalers): an
/// `autoscaling/v1` Scale whose `spec.replicas` reads and writes the workload's, with the current replica
/// count and label selector in `status` (k8s pkg/registry/apps/deployment/storage/storage.go `ScaleREST`).
/// GET, PUT (a Scale, optionally with `resourceVersion` as a precondition) and PATCH (any patch type,
/// applied to the Scale).
extension ClusterAPI {
    func scale(_ type: ResourceType, namespace: String, name: String, _ request: APIRequest) async throws -> APIResponse {
        guard let current = await store.get(type, namespace: namespace, name: name) else { throw APIError.notFound(type.plural, name, group: type.group) }
        let scale = Self.scaleObject(of: current)
        switch request.method {
        case "GET":
            return .json(200, scale)
        case "PUT", "PATCH":
            var wanted: JSONValue
            if request.method == "PUT" {
                wanted = try request.decodedBody()
                if let kind = wanted["kind"]?.stringValue, kind != "Scale" {
                    throw APIError.badRequest("the API version in the data (\(wanted["apiVersion"]?.stringValue ?? "")) does not match the expected API version (autoscaling/v1)")
                }
            } else {
                let body = try request.decodedBody()
                switch (request.contentType ?? "").split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespaces) }) ?? "" {
                case "application/json-patch+json":
                    wanted = try Patching.jsonPatch(scale, operations: body.arrayValue ?? [])
                case "application/strategic-merge-patch+json", "application/apply-patch+yaml":
                    wanted = Patching.strategicMerge(scale, patch: body)
                default:
                    wanted = scale.mergePatched(with: body)
                }
            }
            if let expected = wanted[path: "metadata", "resourceVersion"]?.stringValue, !expected.isEmpty,
               expected != current[path: "metadata", "resourceVersion"]?.stringValue {
                throw APIError.conflict(type.plural, name, group: type.group)
            }
            guard let replicas = wanted[path: "spec", "replicas"]?.intValue, replicas >= 0 else {
                let shown = wanted[path: "spec", "replicas"]?.encodedString() ?? "null"
                throw APIError.invalid(kind: "Scale", group: "autoscaling", name: name,
                                       causes: [("spec.replicas", "FieldValueInvalid", "Invalid value: \(shown): must be greater than or equal to 0")])
            }
            var next = current
            next[path: "spec", "replicas"] = .int(replicas)
            next = Generation.updated(current: current, next: next, type: type, subresource: nil)
            let stored = try await store.update(type, next, expectedVersion: current[path: "metadata", "resourceVersion"]?.stringValue)
            return .json(200, Self.scaleObject(of: stored))
        default:
            throw APIError.methodNotAllowed(request.method)
        }
    }

    static func scaleObject(of object: JSONValue) -> JSONValue {
        var metadata: JSONValue = [:]
        for key in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] { metadata[key] = object[path: "metadata", key] }
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": metadata,
            "spec": ["replicas": object[path: "spec", "replicas"] ?? 1],
            "status": [
                "replicas": object[path: "status", "replicas"] ?? 0,
                "selector": .string(WorkloadValidation.selectorString(object[path: "spec", "selector"] ?? [:])),
            ],
        ]
    }
}
