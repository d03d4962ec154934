import Foundation
import JSONValue
import KubeAPI

/// Server-side apply (`PATCH` with `application/apply-patch+yaml`, what Helm 4 and `kubectl apply --server-side`
/// send), reduced to what an applier sees: the applied configuration is merged into the object (lists with a
/// merge key by that key, others replaced: `StrategicMerge`), the manager's field set is recorded in
/// `metadata.managedFields` (operation `Apply`, `fieldsV1` in upstream's notation: `f:<field>`, `k:{<key>}` for an
/// element of a keyed list, `v:<value>` for a member of a set, `.` for the element itself), and fields this manager
/// applied before but no longer applies are removed unless another applier still applies them (sigs.k8s.io/
/// structured-merge-diff `merge.Updater.Apply`, apiserver `fieldmanager`). Not modelled: conflicts with other
/// managers (`force` is accepted and has nothing to override), ownership of fields written by updates.
enum ServerSideApply {
    /// Identity and server-owned fields, which no applier owns.
    private static let unowned: Set<[String]> = [
        ["f:apiVersion"], ["f:kind"], ["f:metadata", "f:name"], ["f:metadata", "f:namespace"], ["f:metadata", "f:resourceVersion"],
        ["f:metadata", "f:uid"], ["f:metadata", "f:creationTimestamp"], ["f:metadata", "f:generation"], ["f:metadata", "f:managedFields"],
        ["f:status"],
    ]

    /// `fieldManager` is required for apply (apiserver handlers/patch.go: a 422 on PatchOptions).
    static func requireManager(_ request: APIRequest) throws(APIError) -> String {
        guard let manager = request.query["fieldManager"], !manager.isEmpty else {
            throw APIError(code: 422, reason: "Invalid", message: "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                           details: ["group": "meta.k8s.io", "kind": "PatchOptions", "causes": [["reason": "FieldValueRequired", "message": "Required value: is required for apply patch", "field": "fieldManager"]]])
        }
        return manager
    }

    static func apply(current: JSONValue, applied: JSONValue, manager: String) -> JSONValue {
        var object = StrategicMerge.apply(current, patch: applied)
        let entries = current[path: "metadata", "managedFields"]?.arrayValue ?? []
        func isApplier(_ entry: JSONValue) -> Bool { entry["operation"] == "Apply" }
        let previous = entries.first { isApplier($0) && $0["manager"]?.stringValue == manager }.map { paths($0["fieldsV1"] ?? [:]) } ?? []
        let kept = paths(fieldSet(applied)).union(entries.filter { isApplier($0) && $0["manager"]?.stringValue != manager }
            .reduce(into: Set<[String]>()) { $0.formUnion(paths($1["fieldsV1"] ?? [:])) })
        let dropped = previous.subtracting(kept).subtracting(unowned)
        // Topmost first: removing a map removes what was under it.
        for path in dropped.sorted(by: { $0.count < $1.count }) where !dropped.contains(Array(path.dropLast())) || path.count == 1 {
            object = remove(path[...], from: object)
        }
        return recorded(object, manager: manager, applied: applied)
    }

    /// The object created by an apply: the manager's entry is an `Apply` with the applied field set.
    static func recorded(_ object: JSONValue, manager: String, applied: JSONValue) -> JSONValue {
        var object = object
        var entries = (object[path: "metadata", "managedFields"]?.arrayValue ?? []).filter { $0["manager"]?.stringValue != manager }
        entries.append([
            "manager": .string(manager), "operation": "Apply", "apiVersion": object["apiVersion"] ?? "v1",
            "time": .string(KubeTime.format(Date())), "fieldsType": "FieldsV1", "fieldsV1": fieldSet(applied),
        ])
        object[path: "metadata", "managedFields"] = .array(entries)
        return object
    }

    // MARK: - Field sets

    /// The fields a configuration sets, as `fieldsV1`.
    static func fieldSet(_ value: JSONValue) -> JSONValue {
        var set = members(value)
        for path in unowned { set = remove(path[...], from: set) }
        return set
    }

    private static func members(_ value: JSONValue) -> JSONValue {
        guard case .object(let fields) = value else { return [:] }
        var set: [String: JSONValue] = [:]
        for (key, child) in fields {
            switch child {
            case .object: set["f:\(key)"] = members(child)
            case .array(let items): set["f:\(key)"] = listMembers(field: key, items)
            default: set["f:\(key)"] = [:]
            }
        }
        return .object(set)
    }

    private static func listMembers(field: String, _ items: [JSONValue]) -> JSONValue {
        if StrategicMerge.mergedScalarLists.contains(field) {
            return .object(Dictionary(items.map { ("v:" + $0.encodedString(), JSONValue.object([:])) }, uniquingKeysWith: { a, _ in a }))
        }
        guard let key = StrategicMerge.mergeKey(field: field, elements: items), items.allSatisfy({ $0[key] != nil }) else { return [:] }
        var set: [String: JSONValue] = [:]
        for item in items {
            var element = members(item)
            element["."] = [:]
            set["k:" + JSONValue.object([key: item[key] ?? .null]).encodedString()] = element
        }
        return .object(set)
    }

    /// Every node of a field set, as the path of its components.
    static func paths(_ set: JSONValue, prefix: [String] = []) -> Set<[String]> {
        var result: Set<[String]> = []
        for (component, child) in set.objectValue ?? [:] where component != "." {
            let path = prefix + [component]
            result.insert(path)
            result.formUnion(paths(child, prefix: path))
        }
        return result
    }

    /// Removes the node at a field-set path from an object (or from a field set).
    static func remove(_ path: ArraySlice<String>, from value: JSONValue) -> JSONValue {
        guard let component = path.first else { return value }
        let rest = path.dropFirst()
        switch value {
        case .object(var fields):
            let key = component.hasPrefix("f:") && fields[component] == nil ? String(component.dropFirst(2)) : component
            guard let child = fields[key] else { return value }
            if rest.isEmpty { fields.removeValue(forKey: key) } else { fields[key] = remove(rest, from: child) }
            return .object(fields)
        case .array(var items):
            if component.hasPrefix("v:") {
                let member = try? JSONValue.decode(String(component.dropFirst(2)))
                return .array(items.filter { $0 != member })
            }
            guard component.hasPrefix("k:"), let key = try? JSONValue.decode(String(component.dropFirst(2))),
                  let index = items.firstIndex(where: { item in (key.objectValue ?? [:]).allSatisfy { item[$0.key] == $0.value } }) else { return value }
            if rest.isEmpty { items.remove(at: index) } else { items[index] = remove(rest, from: items[index]) }
            return .array(items)
        default:
            return value
        }
    }
}
