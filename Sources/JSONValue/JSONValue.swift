#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Any JSON document, as a Sendable value: for the parts of ClearML tasks and Kubernetes objects whose
/// shape belongs to the user (hyperparameters, runtime properties, pod templates), so every field,
/// including ones this code has never heard of, survives a read-modify-write round trip.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    // The small accessors are @inlinable: inside a client module they cost what an enum switch costs, as
    // they did when the embedded server had a JSON type of its own.

    /// The member `key` of an object; setting it on a non-object makes a one-member object.
    @inlinable
    public subscript(key: String) -> JSONValue? {
        get {
            if case .object(let fields) = self { return fields[key] }
            return nil
        }
        set {
            guard case .object(var fields) = self else {
                if let newValue { self = .object([key: newValue]) }
                return
            }
            self = .null  // drop this reference, so the dictionary is changed in place rather than copied
            fields[key] = newValue
            self = .object(fields)
        }
    }

    @inlinable
    public subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    /// Walks nested objects: `pod[path: "metadata", "name"]`; setting creates objects on the way.
    public subscript(path path: String...) -> JSONValue? {
        get { value(at: path) }
        set { setValue(newValue, at: path[...]) }
    }

    /// The value at a dotted path (`execution.queue`), or nil if any step is missing or not an object.
    public func value(at dottedPath: String) -> JSONValue? {
        value(at: dottedPath.split(separator: ".").map(String.init))
    }

    @inlinable
    public func value(at path: [String]) -> JSONValue? {
        var current: JSONValue? = self
        for key in path { current = current?[key] }
        return current
    }

    /// Sets the value at a path of object keys, creating objects on the way and replacing non-objects.
    public mutating func set(_ value: JSONValue, at path: [String]) {
        setValue(value, at: path[...])
    }

    mutating func setValue(_ newValue: JSONValue?, at path: ArraySlice<String>) {
        guard let first = path.first else {
            self = newValue ?? .null
            return
        }
        if path.count == 1 {
            if objectValue == nil { self = .object([:]) }
            self[first] = newValue
            return
        }
        var child = self[first].flatMap { $0.objectValue == nil ? nil : $0 } ?? .object([:])
        child.setValue(newValue, at: path.dropFirst())
        if objectValue == nil { self = .object([:]) }
        self[first] = child
    }

    // Accessors. Strict ones answer only for their own kind; lenient ones also convert (numbers from numeric
    // text, text from scalars), for fields that clients send either way.

    /// Lenient: scalars as text (Kubernetes writes some numbers either way, e.g. quantities and exit codes).
    @inlinable
    public var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return String(b)
        default: return nil
        }
    }

    /// Lenient: an int, a whole double or numeric text.
    @inlinable
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        // Outside ±2^63 a double has no Int64; converting it would trap.
        case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: return Int64(d)
        case .string(let s): return Int64(s)
        default: return nil
        }
    }

    /// Lenient: any number, or numeric text.
    @inlinable
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s): return Double(s)
        default: return nil
        }
    }

    /// Strict: the text of a JSON string, nil for anything else (`stringValue` also renders numbers and
    /// booleans). What an API field typed "string" accepts.
    @inlinable
    public var strictString: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// Lenient: the text of a string, or every string of a list (other members dropped); a single string is a
    /// one-element list, as ClearML accepts both for ids, tags and fields.
    @inlinable
    public var stringList: [String]? {
        switch self {
        case .string(let s): return [s]
        case .array(let items): return items.compactMap(\.strictString)
        default: return nil
        }
    }

    /// Strict: true or false only.
    @inlinable
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// Lenient: a boolean, a number (non-zero is true) or the text of a flag as query strings and forms send
    /// it: `true/1/yes/on` or `false/0/no/off/` (empty), in any case.
    public var lenientBool: Bool? {
        switch self {
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .string(let s):
            switch s.lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off", "": return false
            default: return nil
            }
        default: return nil
        }
    }

    @inlinable
    public var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    @inlinable
    public var objectValue: [String: JSONValue]? {
        if case .object(let fields) = self { return fields }
        return nil
    }

    @inlinable
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else if let i = try? container.decode(Int64.self) { self = .int(i) }
        else if let d = try? container.decode(Double.self) { self = .double(d) }
        else if let s = try? container.decode(String.self) { self = .string(s) }
        else if let a = try? container.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .int(let i): try container.encode(i)
        case .double(let d): try container.encode(d)
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }

    /// A string, or null for nil.
    public init(_ value: String?) { self = value.map(JSONValue.string) ?? .null }
    public init(_ values: [String]) { self = .array(values.map(JSONValue.string)) }
    public init(_ value: Int) { self = .int(Int64(value)) }
}

extension JSONValue {
    /// Compact JSON with sorted keys, so equal values always serialise to equal bytes.
    public func encodedBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        JSONCoding.write(self, into: &out)
        return out
    }

    public func encoded() -> Data { Data(encodedBytes()) }

    public func encodedString() -> String { String(decoding: encodedBytes(), as: UTF8.self) }

    /// `text` as a JSON string literal (quotes included).
    public static func quote(_ text: String) -> String { JSONValue.string(text).encodedString() }

    public static func decode(_ data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { try JSONCoding.parse($0.bindMemory(to: UInt8.self)) }
    }

    public static func decode(_ bytes: [UInt8]) throws -> JSONValue {
        try bytes.withUnsafeBufferPointer { try JSONCoding.parse($0) }
    }

    public static func decode(_ text: String) throws -> JSONValue {
        var text = text
        return try text.withUTF8 { try JSONCoding.parse($0) }
    }

    /// One step of a document, in reading order, as `decode(_:visit:)` reports it.
    public enum ReadEvent: Sendable, Hashable {
        case objectStart
        /// The next member's name; its value follows (a scalar, or a container's events).
        case key(String)
        case arrayStart
        /// Closes the innermost open object or array.
        case end
        /// Null, a boolean, a number or a string.
        case scalar(JSONValue)
    }

    /// Decodes `text` like `decode(_:)`, and also reports its structure to `visit` as it reads, so a caller can
    /// keep object members in the order they are written (`.object` is a dictionary; `ConfigValue` keeps
    /// order). Members come as written, a repeated key included. When this throws, the events so far describe
    /// a prefix of a document that is not JSON: discard them.
    @discardableResult
    public static func decode(_ text: String, visit: (ReadEvent) -> Void) throws -> JSONValue {
        var text = text
        return try withoutActuallyEscaping(visit) { visit in
            try text.withUTF8 { try JSONCoding.parse($0, visit: visit) }
        }
    }

    /// RFC 7386 JSON merge patch: objects merge recursively, `null` deletes, anything else replaces.
    public func mergePatched(with patch: JSONValue) -> JSONValue {
        guard case .object(let patchFields) = patch else { return patch }
        var result = objectValue ?? [:]
        for (key, value) in patchFields {
            if value == .null {
                result.removeValue(forKey: key)
            } else {
                result[key] = (result[key] ?? .null).mergePatched(with: value)
            }
        }
        return .object(result)
    }
}
