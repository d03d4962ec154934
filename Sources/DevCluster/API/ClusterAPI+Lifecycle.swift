import Foundation
import JSONValue
import KubeAPI

/// What happens to an object around an update and a delete, beyond storing it: the generation and the
/// fields that may not change; deletion with `propagationPolicy` (Background, the default: the object goes
/// now and the garbage collector removes its dependents; Foreground: the object stays, marked, with the
/// `foregroundDeletion` finalizer, until the collector has removed its dependents; Orphan: dependents
/// lose their owner reference and stay), and finalizers holding an object back
/// (apiserver pkg/registry/generic/registry/store.go `Delete`/`updateForGracefulDeletionAndFinalizers`).
extension ClusterAPI {
    func updated(current: JSONValue, next: JSONValue, type: ResourceType, subresource: String?) throws(APIError) -> JSONValue {
        let causes = WorkloadValidation.checkUpdate(current: current, next: next, type: type)
        if !causes.isEmpty {
            throw APIError.invalid(kind: type.kind, group: type.group, name: current[path: "metadata", "name"]?.stringValue ?? "", causes: causes)
        }
        return Generation.updated(current: current, next: next, type: type, subresource: subresource)
    }

    /// An object that is being deleted goes once an update has emptied its finalizers.
    func removedIfFinalized(_ type: ResourceType, _ stored: JSONValue) async throws -> JSONValue {
        guard type != .pods, stored[path: "metadata", "deletionTimestamp"] != nil,
              (stored[path: "metadata", "finalizers"]?.arrayValue ?? []).isEmpty else { return stored }
        _ = try? await store.remove(type, namespace: stored[path: "metadata", "namespace"]?.stringValue,
                                    name: stored[path: "metadata", "name"]?.stringValue ?? "")
        return stored
    }

    func deleteWithPropagation(_ type: ResourceType, current: JSONValue, options: JSONValue, _ request: APIRequest) async throws -> JSONValue {
        let namespace = current[path: "metadata", "namespace"]?.stringValue
        let name = current[path: "metadata", "name"]?.stringValue ?? ""
        let policy = options["propagationPolicy"]?.stringValue ?? request.query["propagationPolicy"]
            ?? (options["orphanDependents"]?.boolValue == true ? "Orphan" : "Background")
        guard ["Foreground", "Background", "Orphan"].contains(policy) else {
            throw APIError.invalidOptions("DeleteOptions", field: "propagationPolicy",
                                          "Unsupported value: \"\(policy)\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"")
        }
        // A deletion already under way is not started again.
        if current[path: "metadata", "deletionTimestamp"] != nil { return current }
        if policy == "Orphan" {
            await GarbageCollector.orphanDependents(of: current[path: "metadata", "uid"]?.stringValue ?? "", store: store)
        }
        let finalizers = (current[path: "metadata", "finalizers"]?.arrayValue ?? []).compactMap(\.stringValue)
        if policy == "Foreground" || !finalizers.isEmpty {
            return try await store.mutate(type, namespace: namespace, name: name) { object in
                var object = object
                object[path: "metadata", "deletionTimestamp"] = .string(KubeTime.format(Date()))
                object[path: "metadata", "deletionGracePeriodSeconds"] = 0
                if policy == "Foreground", !finalizers.contains(GarbageCollector.foregroundFinalizer) {
                    object[path: "metadata", "finalizers"] = .array((finalizers + [GarbageCollector.foregroundFinalizer]).map(JSONValue.string))
                }
                return object
            }
        }
        let removed = try await store.remove(type, namespace: namespace, name: name)
        return ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success",
                "details": ["name": .string(name), "group": .string(type.group), "kind": .string(type.plural), "uid": removed[path: "metadata", "uid"] ?? ""]]
    }
}
