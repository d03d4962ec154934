/// The merged configuration, with the winning source of every leaf, and typed lookups whose errors name
/// the setting and where its value came from.
public struct EffectiveConfig: Sendable {
    public let root: ConfigObject
    public let configFile: ConfigFileInfo?
    public let homeDirectory: String

    public init(root: ConfigObject, configFile: ConfigFileInfo? = nil, homeDirectory: String = "/") {
        self.root = root
        self.configFile = configFile
        self.homeDirectory = homeDirectory
    }

    public func value(at path: String) -> ConfigValue? {
        root.value(at: ConfigPath.split(path))
    }

    public func source(of path: String) -> ConfigSource? {
        value(at: path)?.source
    }

    /// Scalars read as text (HOCON lets numbers and booleans be read as strings); null is nil.
    public func string(_ path: String) throws(ConfigError) -> String? {
        guard let value = value(at: path) else { return nil }
        if case .null = value.kind { return nil }
        guard let text = value.scalarText else { throw mismatch(path, value, expected: "text") }
        return text
    }

    /// Like `string`, but an empty value counts as unset (upstream treats `worker_id: ""` as "not set").
    public func nonEmptyString(_ path: String) throws(ConfigError) -> String? {
        guard let text = try string(path)?.trimmingWhitespace, !text.isEmpty else { return nil }
        return text
    }

    public func bool(_ path: String) throws(ConfigError) -> Bool? {
        guard let value = value(at: path) else { return nil }
        switch value.kind {
        case .null: return nil
        case let .bool(flag): return flag
        case let .int(number) where number == 0 || number == 1: return number == 1
        case let .string(text):
            if let flag = BooleanText.parse(text) { return flag }
        default: break
        }
        throw mismatch(path, value, expected: "a boolean (\(BooleanText.accepted))")
    }

    public func int(_ path: String) throws(ConfigError) -> Int? {
        guard let value = value(at: path) else { return nil }
        switch value.kind {
        case .null: return nil
        case let .int(number): return number
        case let .double(number) where number == number.rounded() && abs(number) < 1e15: return Int(number)
        case let .string(text):
            if let number = Int(text.trimmingWhitespace) { return number }
        default: break
        }
        throw mismatch(path, value, expected: "a whole number")
    }

    public func double(_ path: String) throws(ConfigError) -> Double? {
        guard let value = value(at: path) else { return nil }
        switch value.kind {
        case .null: return nil
        case let .int(number): return Double(number)
        case let .double(number): return number
        case let .string(text):
            if let number = Double(text.trimmingWhitespace), number.isFinite { return number }
        default: break
        }
        throw mismatch(path, value, expected: "a number")
    }

    /// A list of scalars; a single string counts as a one-item list (and "" as an empty one).
    public func stringList(_ path: String) throws(ConfigError) -> [String]? {
        guard let value = value(at: path) else { return nil }
        switch value.kind {
        case .null: return nil
        case let .array(items):
            var texts: [String] = []
            for item in items {
                guard let text = item.scalarText else { throw mismatch(path, value, expected: "a list of strings") }
                texts.append(text)
            }
            return texts
        case let .string(text):
            return text.trimmingWhitespace.isEmpty ? [] : [text]
        default:
            throw mismatch(path, value, expected: "a list of strings")
        }
    }

    /// The typed view the rest of the program uses.
    public func settings() throws(ConfigError) -> ClearMLSettings {
        try ClearMLSettings(self)
    }

    func mismatch(_ path: String, _ value: ConfigValue, expected: String) -> ConfigError {
        let shown: String
        if SecretMasking.isSecret(path: ConfigPath.split(path)) {
            shown = value.typeName
        } else if let text = value.scalarText {
            shown = "'\(text)'"
        } else {
            shown = value.typeName
        }
        let hint: String
        switch value.source {
        case .file: hint = "fix the value in the file"
        case let .environment(name): hint = "change or unset \(name)"
        case let .flag(name): hint = "change the value given to \(name)"
        case .defaultValue: hint = "this is a built-in default; please report it"
        }
        return ConfigError(.invalidValue, source: value.source, message: "\(path) must be \(expected), but is \(shown)", hint: hint)
    }
}
