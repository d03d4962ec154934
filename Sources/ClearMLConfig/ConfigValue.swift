/// One node of a configuration tree. Every node carries the source that set it, so the effective
/// configuration can say where each leaf came from after files, environment and flags are merged.
public struct ConfigValue: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case object(ConfigObject)
        case array([ConfigValue])
        case string(String)
        case int(Int)
        case double(Double)
        case bool(Bool)
        case null
    }

    public var kind: Kind
    public var source: ConfigSource

    public init(_ kind: Kind, source: ConfigSource = .defaultValue) {
        self.kind = kind
        self.source = source
    }

    public static func string(_ value: String, source: ConfigSource = .defaultValue) -> ConfigValue { .init(.string(value), source: source) }
    public static func int(_ value: Int, source: ConfigSource = .defaultValue) -> ConfigValue { .init(.int(value), source: source) }
    public static func double(_ value: Double, source: ConfigSource = .defaultValue) -> ConfigValue { .init(.double(value), source: source) }
    public static func bool(_ value: Bool, source: ConfigSource = .defaultValue) -> ConfigValue { .init(.bool(value), source: source) }
    public static func null(source: ConfigSource = .defaultValue) -> ConfigValue { .init(.null, source: source) }
    public static func array(_ values: [ConfigValue], source: ConfigSource = .defaultValue) -> ConfigValue { .init(.array(values), source: source) }
    public static func object(_ object: ConfigObject, source: ConfigSource = .defaultValue) -> ConfigValue { .init(.object(object), source: source) }
    public static func strings(_ values: [String], source: ConfigSource = .defaultValue) -> ConfigValue {
        .init(.array(values.map { .string($0, source: source) }), source: source)
    }

    public var objectValue: ConfigObject? {
        if case let .object(object) = kind { return object }
        return nil
    }

    public var arrayValue: [ConfigValue]? {
        if case let .array(values) = kind { return values }
        return nil
    }

    /// A scalar as text (what HOCON string concatenation and string lookups see); nil for objects and arrays.
    public var scalarText: String? {
        switch kind {
        case let .string(text): text
        case let .int(value): String(value)
        case let .double(value): ConfigValue.format(value)
        case let .bool(value): value ? "true" : "false"
        case .null: "null"
        case .object, .array: nil
        }
    }

    /// A short name of the value's type for error messages.
    public var typeName: String {
        switch kind {
        case .object: "an object"
        case .array: "a list"
        case .string: "a string"
        case .int, .double: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }

    /// The same value with `source` stamped on it and every descendant, for values that arrive as a whole
    /// (an environment variable holding JSON, a flag).
    public func restamped(_ source: ConfigSource) -> ConfigValue {
        switch kind {
        case let .object(object): .object(object.restamped(source), source: source)
        case let .array(values): .array(values.map { $0.restamped(source) }, source: source)
        default: ConfigValue(kind, source: source)
        }
    }

    /// Swift prints the shortest round-tripping form and keeps a fraction on whole doubles ("2.0"), so a
    /// double stays a double when the output is parsed again.
    static func format(_ value: Double) -> String { "\(value)" }
}
