import Foundation

/// A JSON document as a value type. Task documents and request bodies are schemaless on the wire (clients send
/// extra keys, the server keeps whatever it is given), so the server works on this instead of typed models.
enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    subscript(key: String) -> JSONValue? {
        get {
            if case .object(let object) = self { return object[key] }
            return nil
        }
        set {
            guard case .object(var object) = self else { return }
            object[key] = newValue
            self = .object(object)
        }
    }

    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var boolValue: Bool? {
        switch self {
        case .bool(let value): return value
        case .int(let value): return value != 0
        case .string(let value):
            switch value.lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off", "": return false
            default: return nil
            }
        default: return nil
        }
    }

    var intValue: Int64? {
        switch self {
        case .int(let value): return value
        case .double(let value) where value.isFinite && value.rounded() == value && abs(value) < 9e18: return Int64(value)
        case .string(let value): return Int64(value)
        default: return nil
        }
    }

    var doubleValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        case .string(let value): return Double(value)
        default: return nil
        }
    }

    var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// A list of strings from a list, or a single string treated as a one-element list (upstream accepts both).
    var stringList: [String]? {
        switch self {
        case .string(let value): return [value]
        case .array(let items): return items.compactMap(\.stringValue)
        default: return nil
        }
    }

    /// Follows a dotted path (`execution.queue`) through nested objects.
    func value(atPath path: [Substring]) -> JSONValue? {
        var current: JSONValue = self
        for key in path {
            guard let next = current[String(key)] else { return nil }
            current = next
        }
        return current
    }

    /// Sets a value at a dotted path, creating intermediate objects.
    mutating func setValue(_ value: JSONValue, atPath path: [Substring]) {
        guard let first = path.first else {
            self = value
            return
        }
        var child = self[String(first)] ?? .object([:])
        if child.objectValue == nil && path.count > 1 { child = .object([:]) }
        child.setValue(value, atPath: Array(path.dropFirst()))
        if objectValue == nil { self = .object([:]) }
        self[String(first)] = child
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    init(floatLiteral value: Double) { self = .double(value) }
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int64) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    init(nilLiteral: ()) { self = .null }
}

extension JSONValue {
    init(_ value: String?) { self = value.map(JSONValue.string) ?? .null }
    init(_ values: [String]) { self = .array(values.map(JSONValue.string)) }
    init(_ value: Int) { self = .int(Int64(value)) }
}
