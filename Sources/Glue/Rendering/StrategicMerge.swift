import JSONValue

/// Merges an overlay into a base pod (or job) document the way `kubectl patch --type strategic` would for
/// the fields a template holds: objects merge recursively, the overlay wins on scalars, `null` removes a
/// key, and lists of named things (containers, env, volumes, mounts, ports) merge item by item on their
/// key instead of being replaced. Other lists are replaced whole.
public enum StrategicMerge {
    /// List field -> the key that identifies an item, as in the Kubernetes API's patch strategy.
    static let mergeKeys: [String: String] = [
        "containers": "name", "initContainers": "name", "ephemeralContainers": "name",
        "env": "name", "volumes": "name", "volumeMounts": "mountPath", "ports": "containerPort",
        "imagePullSecrets": "name", "envFrom": "prefix",
    ]

    public static func merge(_ base: JSONValue, _ overlay: JSONValue) -> JSONValue {
        guard case .object(var result) = base, case .object(let changes) = overlay else { return overlay }
        for (key, change) in changes {
            if change == .null {
                result.removeValue(forKey: key)
            } else if let mergeKey = mergeKeys[key], case .array(let old)? = result[key], case .array(let new) = change {
                result[key] = .array(mergeList(old, new, on: mergeKey))
            } else if let existing = result[key] {
                result[key] = merge(existing, change)
            } else {
                result[key] = change
            }
        }
        return .object(result)
    }

    /// Items with the same key merge in place (base order kept); new ones are appended; items without
    /// the key are appended as given.
    static func mergeList(_ base: [JSONValue], _ overlay: [JSONValue], on key: String) -> [JSONValue] {
        var result = base
        for item in overlay {
            if let identity = item[key], identity != .null, let index = result.firstIndex(where: { $0[key] == identity }) {
                result[index] = merge(result[index], item)
            } else {
                result.append(item)
            }
        }
        return result
    }
}
