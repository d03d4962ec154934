import Foundation

/// Which clearml.conf was chosen, and why.
public struct ConfigFileInfo: Sendable, Hashable {
    public enum Selection: Sendable, Hashable {
        /// Named by a command-line flag (its name).
        case flag(String)
        /// Named by an environment variable (its name).
        case environment(String)
        /// The default `~/clearml.conf`.
        case homeDefault

        public var description: String {
            switch self {
            case let .flag(name): "from \(name)"
            case let .environment(name): "from environment variable \(name)"
            case .homeDefault: "default location"
            }
        }
    }

    public var path: String
    public var selectedBy: Selection
    /// False when the default `~/clearml.conf` does not exist (defaults and environment still apply).
    public var loaded: Bool

    public init(path: String, selectedBy: Selection, loaded: Bool) {
        self.path = path
        self.selectedBy = selectedBy
        self.loaded = loaded
    }
}

/// Builds the effective configuration: defaults < clearml.conf < `CLEARML_AGENT__*` dynamic variables <
/// mapped environment variables < flags. (Upstream applies the dynamic variables before re-applying the
/// fixed ones, so a fixed variable wins over a dynamic one for the same setting; we keep that order.)
///
/// Every input is injectable; nothing here reads the real process environment or home folder except
/// `forCurrentProcess`.
public struct ConfigLoader: Sendable {
    public var environment: [String: String]
    public var homeDirectory: String
    /// The explicit config file from the command line, if any.
    public var configFile: String?
    /// The flag that named `configFile`, for messages.
    public var configFileFlag: String
    /// Flag values by configuration path (`"agent.worker_id"`); leaves without a flag source get `flag <path>`.
    public var flagOverrides: [String: ConfigValue]
    public var readFile: @Sendable (String) -> String?
    public var fileExists: @Sendable (String) -> Bool

    public init(
        environment: [String: String],
        homeDirectory: String,
        configFile: String? = nil,
        configFileFlag: String = "--config-file",
        flagOverrides: [String: ConfigValue] = [:],
        readFile: @escaping @Sendable (String) -> String? = HOCON.readFromDisk,
        fileExists: @escaping @Sendable (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }
    ) {
        self.environment = environment
        self.homeDirectory = homeDirectory
        self.configFile = configFile
        self.configFileFlag = configFileFlag
        self.flagOverrides = flagOverrides
        self.readFile = readFile
        self.fileExists = fileExists
    }

    /// The loader for this process: its environment, and `$HOME` (else the account's home folder).
    public static func forCurrentProcess(configFile: String? = nil, flagOverrides: [String: ConfigValue] = [:]) -> ConfigLoader {
        let environment = ProcessInfo.processInfo.environment
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? FileManager.default.homeDirectoryForCurrentUser.path
        return ConfigLoader(environment: environment, homeDirectory: home, configFile: configFile, flagOverrides: flagOverrides)
    }

    /// Flag, then `CLEARML_CONFIG_FILE` (or its legacy alias), then `~/clearml.conf`.
    public func locateConfigFile() -> ConfigFileInfo {
        if let configFile, !configFile.isEmpty {
            return ConfigFileInfo(path: expand(configFile), selectedBy: .flag(configFileFlag), loaded: true)
        }
        let variable = EnvironmentVariables.entry(named: EnvironmentVariables.configFile)
        for name in variable?.names ?? [EnvironmentVariables.configFile] {
            if let value = environment[name]?.trimmingWhitespace, !value.isEmpty {
                return ConfigFileInfo(path: expand(value), selectedBy: .environment(name), loaded: true)
            }
        }
        return ConfigFileInfo(path: expand("~/clearml.conf"), selectedBy: .homeDefault, loaded: true)
    }

    public func load() throws(ConfigError) -> EffectiveConfig {
        var root = try ConfigDefaults.tree()
        var file = locateConfigFile()
        if let parsed = try readConfigFile(&file) { root = root.merging(parsed) }

        for override in try DynamicEnvironment.overrides(in: environment) {
            root.merge(override.value, at: override.path)
        }
        for variable in EnvironmentVariables.all {
            guard let path = variable.path, let (name, raw) = firstSet(variable.names) else { continue }
            root.set(try typed(raw, variable: variable, name: name), at: ConfigPath.split(path))
        }
        for path in flagOverrides.keys.sorted() {
            guard let value = flagOverrides[path] else { continue }
            let stamped: ConfigValue
            if case .flag = value.source { stamped = value } else { stamped = value.restamped(.flag(name: path)) }
            root.merge(stamped, at: ConfigPath.split(path))
        }
        return EffectiveConfig(root: root, configFile: file, homeDirectory: homeDirectory)
    }

    // MARK: - Steps

    private func readConfigFile(_ info: inout ConfigFileInfo) throws(ConfigError) -> ConfigObject? {
        let exists = fileExists(info.path)
        if !exists, info.selectedBy == .homeDefault {
            info.loaded = false
            return nil
        }
        guard exists else {
            throw ConfigError(.unreadableFile, origin: info.path,
                              message: "configuration file does not exist (\(info.selectedBy.description))",
                              hint: fixHint(for: info))
        }
        guard let text = readFile(info.path) else {
            throw ConfigError(.unreadableFile, origin: info.path,
                              message: "configuration file cannot be read (\(info.selectedBy.description))",
                              hint: "check that it is a regular file this user may read; " + fixHint(for: info))
        }
        return try HOCON.parse(text, file: info.path, environment: environment, readFile: readFile)
    }

    private func fixHint(for info: ConfigFileInfo) -> String {
        switch info.selectedBy {
        case let .flag(name): "fix the path given to \(name), or drop the flag to use ~/clearml.conf"
        case let .environment(name): "fix \(name), or unset it to use ~/clearml.conf"
        case .homeDefault: "fix its permissions, or point CLEARML_CONFIG_FILE at another file"
        }
    }

    /// Upstream treats an empty variable as unset.
    private func firstSet(_ names: [String]) -> (String, String)? {
        for name in names {
            if let value = environment[name], !value.trimmingWhitespace.isEmpty { return (name, value) }
        }
        return nil
    }

    private func typed(_ raw: String, variable: EnvironmentVariable, name: String) throws(ConfigError) -> ConfigValue {
        let source = ConfigSource.environment(name: name)
        if let value = variable.type.parse(raw, source: source) { return value }
        let shown = variable.path.map { SecretMasking.isSecret(path: ConfigPath.split($0)) } == true ? "its value" : "'\(raw)'"
        let what: String
        switch variable.type {
        case .bool: what = "is not a boolean"
        case .int: what = "is not a whole number"
        case .double: what = "is not a number"
        case .shellWords: what = "has an unterminated quote or a trailing backslash"
        default: what = "is not accepted"
        }
        throw ConfigError(.invalidEnvironmentValue, source: source, message: "\(shown) \(what)",
                          hint: "use \(variable.type.expectation), or unset the variable")
    }

    private func expand(_ path: String) -> String { PathExpansion.expandingTilde(path, home: homeDirectory) }
}
