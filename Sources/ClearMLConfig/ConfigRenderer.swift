import JSONValue

/// Prints a configuration tree as HOCON (re-parseable by `HOCON.parse`) or JSON, optionally with each leaf's
/// source, always with secrets masked unless told otherwise.
public enum ConfigRenderer {
    public struct Options: Sendable {
        public var showSources: Bool
        public var maskSecrets: Bool
        public var indent: String

        public init(showSources: Bool = false, maskSecrets: Bool = true, indent: String = "    ") {
            self.showSources = showSources
            self.maskSecrets = maskSecrets
            self.indent = indent
        }
    }

    /// `api_server: "http://..."  # env CLEARML_API_HOST` per leaf with `showSources`.
    public static func hocon(_ object: ConfigObject, options: Options = Options()) -> String {
        let tree = options.maskSecrets ? SecretMasking.masked(object) : object
        var lines: [String] = []
        hoconBody(tree, path: [], depth: 0, options: options, into: &lines)
        return lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
    }

    /// Pretty JSON; with `showSources` every leaf becomes `{"value": ..., "source": "..."}` (plus `"note"` when
    /// the setting is one the glue ignores).
    public static func json(_ object: ConfigObject, options: Options = Options(indent: "  ")) -> String {
        let tree = options.maskSecrets ? SecretMasking.masked(object) : object
        return jsonObject(tree, path: [], depth: 0, options: options) + "\n"
    }

    /// The remark for a setting the glue does not act on, from the environment table.
    public static func note(forPath path: [String]) -> String? {
        EnvironmentVariables.entry(forPath: ConfigPath.join(path))?.applicability.note
    }

    static func sourceComment(_ value: ConfigValue, path: [String]) -> String {
        var text = value.source.description
        if let note = note(forPath: path) { text += " (\(note))" }
        return text
    }

    // MARK: - HOCON

    private static func hoconBody(_ object: ConfigObject, path: [String], depth: Int, options: Options, into lines: inout [String]) {
        let pad = String(repeating: options.indent, count: depth)
        for (key, value) in object.entries {
            let childPath = path + [key]
            let name = ConfigPath.quoteIfNeeded(key)
            if let child = value.objectValue, !child.isEmpty {
                lines.append("\(pad)\(name) {")
                hoconBody(child, path: childPath, depth: depth + 1, options: options, into: &lines)
                lines.append("\(pad)}")
            } else {
                var line = "\(pad)\(name): \(inlineJSON(value))"
                if options.showSources { line += "  # \(sourceComment(value, path: childPath))" }
                lines.append(line)
            }
        }
    }

    // MARK: - JSON

    private static func jsonObject(_ object: ConfigObject, path: [String], depth: Int, options: Options) -> String {
        if object.isEmpty { return "{}" }
        let pad = String(repeating: options.indent, count: depth + 1)
        let closing = String(repeating: options.indent, count: depth)
        let members = object.entries.map { key, value -> String in
            let childPath = path + [key]
            let rendered: String
            if let child = value.objectValue {
                rendered = jsonObject(child, path: childPath, depth: depth + 1, options: options)
            } else if options.showSources {
                var fields = ["\"value\": \(inlineJSON(value))", "\"source\": \(JSONValue.quote(value.source.description))"]
                if let note = note(forPath: childPath) { fields.append("\"note\": \(JSONValue.quote(note))") }
                rendered = "{" + fields.joined(separator: ", ") + "}"
            } else {
                rendered = inlineJSON(value)
            }
            return "\(pad)\(JSONValue.quote(key)): \(rendered)"
        }
        return "{\n" + members.joined(separator: ",\n") + "\n\(closing)}"
    }

    /// Single-line JSON, which is also valid HOCON.
    public static func inlineJSON(_ value: ConfigValue) -> String {
        switch value.kind {
        case let .object(object):
            if object.isEmpty { return "{}" }
            return "{" + object.entries.map { "\(JSONValue.quote($0.key)): \(inlineJSON($0.value))" }.joined(separator: ", ") + "}"
        case let .array(items):
            return "[" + items.map(inlineJSON).joined(separator: ", ") + "]"
        case let .string(text): return JSONValue.quote(text)
        case let .int(number): return String(number)
        case let .double(number): return ConfigValue.format(number)
        case let .bool(flag): return flag ? "true" : "false"
        case .null: return "null"
        }
    }
}
