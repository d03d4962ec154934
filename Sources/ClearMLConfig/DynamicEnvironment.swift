import Foundation

/// Upstream's dynamic overrides: `CLEARML_AGENT__AGENT__DEFAULT_DOCKER__IMAGE=...` sets
/// `agent.default_docker.image`. After the prefix, `__` separates path levels and the path is lower-cased;
/// the value is typed when it parses as JSON (`true`, `3`, `["a"]`, `{"a": 1}`, `"quoted"`), else it is the
/// plain text. Upstream accepts any path after the prefix (not only `agent.*`), and so do we.
public enum DynamicEnvironment {
    public struct Override: Sendable, Hashable {
        public var variable: String
        public var path: [String]
        public var value: ConfigValue
    }

    /// The configuration path a variable name maps to, or nil when it is not a dynamic variable.
    public static func path(forVariable name: String) -> [String]? {
        guard name.hasPrefix(EnvironmentVariables.dynamicPrefix) else { return nil }
        let rest = name.dropFirst(EnvironmentVariables.dynamicPrefix.count)
        return rest.components(separatedBy: "__").map { $0.lowercased() }
    }

    /// All dynamic overrides in `environment`, sorted by name as upstream applies them.
    public static func overrides(in environment: [String: String]) throws(ConfigError) -> [Override] {
        var result: [Override] = []
        for name in environment.keys.sorted() {
            guard let path = path(forVariable: name), let raw = environment[name] else { continue }
            guard !path.contains(where: \.isEmpty) else {
                throw ConfigError(.invalidEnvironmentValue, source: .environment(name: name),
                                  message: "the name maps to an empty configuration path segment",
                                  hint: "write CLEARML_AGENT__<SECTION>__<KEY> with single '__' between levels, e.g. CLEARML_AGENT__AGENT__WORKER_ID")
            }
            let source = ConfigSource.environment(name: name)
            let trimmed = raw.trimmingWhitespace
            let value = ConfigValue(json: trimmed, source: source) ?? .string(trimmed, source: source)
            result.append(Override(variable: name, path: path, value: value))
        }
        return result
    }
}
