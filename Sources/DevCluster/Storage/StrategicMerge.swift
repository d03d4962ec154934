import JSONValue

/// Strategic merge patch (`application/strategic-merge-patch+json`), what `helm upgrade` (Helm 3's three-way
/// patch) and `kubectl apply` send: a JSON merge patch in which lists that have a merge key in the Go types
/// (`patchStrategy:"merge" patchMergeKey:"..."`) merge element by element, plus the directives
/// (apimachinery pkg/util/strategicpatch/patch.go):
/// - `$patch: replace` (the map or list replaces what is there), `$patch: delete` (on a map: remove it; on a
///   list element: remove the element with that key), `$patch: merge` (the default);
/// - `$retainKeys: [...]`: after merging, only these keys stay in the map (union-type fields such as
///   `strategy`);
/// - `$setElementOrder/<list>: [...]`: the order of a merged list;
/// - `$deleteFromPrimitiveList/<list>: [...]`: values removed from a merged list of scalars.
/// The merge keys come from the table below, keyed by field name (the k8s.io/api types use the same key
/// for a field name wherever it appears); other lists are atomic and are replaced.
enum StrategicMerge {
    /// Field name -> merge key of its elements (k8s.io/api core/v1, apps/v1, meta/v1 struct tags).
    static let mergeKeys: [String: String] = [
        "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "env": "name", "volumes": "name",
        "volumeMounts": "mountPath", "volumeDevices": "devicePath", "imagePullSecrets": "name", "hostAliases": "ip",
        "conditions": "type", "ownerReferences": "uid", "topologySpreadConstraints": "topologyKey", "resourceClaims": "name",
        "ports": "containerPort",
    ]
    /// Lists of scalars whose strategy is merge (ObjectMeta `finalizers`).
    static let mergedScalarLists: Set<String> = ["finalizers"]

    static func apply(_ document: JSONValue, patch: JSONValue) -> JSONValue {
        mergeValue(document, patch)
    }

    private static func mergeValue(_ base: JSONValue?, _ patch: JSONValue) -> JSONValue {
        guard case .object(var changes) = patch else { return patch }
        if let directive = changes["$patch"]?.stringValue {
            changes.removeValue(forKey: "$patch")
            if directive == "replace" { return .object(changes.filter { !$0.key.hasPrefix("$") }) }
        }
        var fields = base?.objectValue ?? [:]
        let retain = changes.removeValue(forKey: "$retainKeys")?.arrayValue?.compactMap(\.stringValue)
        var orders: [String: [JSONValue]] = [:]
        var primitiveDeletes: [String: [JSONValue]] = [:]
        for (key, value) in changes {
            if key.hasPrefix("$setElementOrder/") { orders[String(key.dropFirst("$setElementOrder/".count))] = value.arrayValue ?? [] }
            if key.hasPrefix("$deleteFromPrimitiveList/") { primitiveDeletes[String(key.dropFirst("$deleteFromPrimitiveList/".count))] = value.arrayValue ?? [] }
        }
        for (key, change) in changes where !key.hasPrefix("$") {
            if change == .null { fields.removeValue(forKey: key); continue }
            if case .object(let inner) = change, inner["$patch"]?.stringValue == "delete" { fields.removeValue(forKey: key); continue }
            if case .array(let items) = change {
                fields[key] = mergeList(field: key, base: fields[key]?.arrayValue, patch: items)
            } else {
                fields[key] = mergeValue(fields[key], change)
            }
        }
        for (key, removed) in primitiveDeletes {
            guard let items = fields[key]?.arrayValue else { continue }
            fields[key] = .array(items.filter { !removed.contains($0) })
        }
        for (key, order) in orders {
            guard let items = fields[key]?.arrayValue else { continue }
            fields[key] = .array(ordered(items, by: order, field: key))
        }
        if let retain { fields = fields.filter { retain.contains($0.key) } }
        return .object(fields)
    }

    /// The merge key of this list's elements: from the table; `ports` of a Service (no `containerPort`)
    /// merge by `port`.
    static func mergeKey(field: String, elements: [JSONValue]) -> String? {
        guard let key = mergeKeys[field] else { return nil }
        if field == "ports", !elements.contains(where: { $0["containerPort"] != nil }) { return "port" }
        return key
    }

    private static func mergeList(field: String, base: [JSONValue]?, patch: [JSONValue]) -> JSONValue {
        // `{"$patch": "replace"}` among the elements: the rest of the patch list is the whole list.
        if patch.contains(where: { $0["$patch"]?.stringValue == "replace" && $0.objectValue?.count == 1 }) {
            return .array(patch.filter { !($0["$patch"]?.stringValue == "replace" && $0.objectValue?.count == 1) })
        }
        guard let base else { return .array(patch.filter { $0["$patch"]?.stringValue != "delete" }.map(stripDirectives)) }
        if mergedScalarLists.contains(field) {
            var merged = base
            for item in patch where !merged.contains(item) { merged.append(item) }
            return .array(merged)
        }
        guard let key = mergeKey(field: field, elements: base + patch),
              patch.allSatisfy({ $0[key] != nil }), base.allSatisfy({ $0[key] != nil }) else {
            return .array(patch.map(stripDirectives))
        }
        var merged = base
        for change in patch {
            let index = merged.firstIndex { $0[key] == change[key] }
            if change["$patch"]?.stringValue == "delete" {
                if let index { merged.remove(at: index) }
            } else if let index {
                merged[index] = mergeValue(merged[index], change)
            } else {
                merged.append(mergeValue(nil, change))
            }
        }
        return .array(merged)
    }

    private static func stripDirectives(_ value: JSONValue) -> JSONValue {
        guard case .object = value else { return value }
        return mergeValue(nil, value)
    }

    /// `$setElementOrder`: the listed elements in that order (matched by merge key, or by value for
    /// scalars), the others after them in their current order.
    private static func ordered(_ items: [JSONValue], by order: [JSONValue], field: String) -> [JSONValue] {
        let key = mergeKey(field: field, elements: items)
        func identity(_ item: JSONValue) -> JSONValue { key.flatMap { item[$0] } ?? item }
        var remaining = items
        var result: [JSONValue] = []
        for wanted in order {
            let id = key.flatMap { wanted[$0] } ?? wanted
            if let index = remaining.firstIndex(where: { identity($0) == id }) { result.append(remaining.remove(at: index)) }
        }
        return result + remaining
    }
}
