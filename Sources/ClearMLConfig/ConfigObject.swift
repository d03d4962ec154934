/// An object node: keys keep the order in which they were first written, as clearml.conf readers expect
/// (and so `config` prints sections in a familiar order).
public struct ConfigObject: Sendable, Hashable {
    public private(set) var keys: [String] = []
    private var storage: [String: ConfigValue] = [:]

    public init() {}

    public init(_ pairs: [(String, ConfigValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    public var isEmpty: Bool { keys.isEmpty }
    public var count: Int { keys.count }

    public subscript(key: String) -> ConfigValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// Key/value pairs in order.
    public var entries: [(key: String, value: ConfigValue)] {
        keys.compactMap { key in storage[key].map { (key, $0) } }
    }

    public func value(at path: [String]) -> ConfigValue? {
        guard let first = path.first, let value = storage[first] else { return nil }
        if path.count == 1 { return value }
        return value.objectValue?.value(at: Array(path.dropFirst()))
    }

    /// Sets `value` at `path`, replacing whatever is there; intermediate non-objects are replaced by objects
    /// (HOCON: a later object definition replaces an earlier scalar).
    public mutating func set(_ value: ConfigValue, at path: [String]) {
        guard let first = path.first else { return }
        if path.count == 1 {
            self[first] = value
            return
        }
        var child = self[first]?.objectValue ?? ConfigObject()
        child.set(value, at: Array(path.dropFirst()))
        let source = self[first].flatMap { $0.objectValue == nil ? nil : $0.source } ?? value.source
        self[first] = .object(child, source: source)
    }

    /// HOCON duplicate-key rule: objects deep-merge, anything else is replaced by the later value.
    public mutating func merge(_ value: ConfigValue, at path: [String]) {
        if case let .object(incoming) = value.kind, case let .object(existing)? = self.value(at: path)?.kind {
            let source = self.value(at: path)?.source ?? value.source
            set(.object(existing.merging(incoming), source: source), at: path)
        } else {
            set(value, at: path)
        }
    }

    /// `other` laid over `self`: keys of `other` win, nested objects merge recursively.
    public func merging(_ other: ConfigObject) -> ConfigObject {
        var result = self
        for (key, value) in other.entries { result.merge(value, at: [key]) }
        return result
    }

    public mutating func removeValue(at path: [String]) {
        guard let first = path.first else { return }
        if path.count == 1 {
            self[first] = nil
            return
        }
        guard let existing = self[first], var child = existing.objectValue else { return }
        child.removeValue(at: Array(path.dropFirst()))
        self[first] = .object(child, source: existing.source)
    }

    /// Every non-object value with its full path (arrays count as leaves: they are replaced, never merged).
    public var leaves: [(path: [String], value: ConfigValue)] {
        var result: [(path: [String], value: ConfigValue)] = []
        for (key, value) in entries {
            if let object = value.objectValue, !object.isEmpty {
                result += object.leaves.map { ([key] + $0.path, $0.value) }
            } else {
                result.append(([key], value))
            }
        }
        return result
    }

    func restamped(_ source: ConfigSource) -> ConfigObject {
        var result = ConfigObject()
        for (key, value) in entries { result[key] = value.restamped(source) }
        return result
    }

    public static func == (lhs: ConfigObject, rhs: ConfigObject) -> Bool {
        lhs.keys == rhs.keys && lhs.storage == rhs.storage
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(keys)
        for key in keys { hasher.combine(storage[key]) }
    }
}
