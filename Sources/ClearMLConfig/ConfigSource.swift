/// Where a configuration value came from, so `config --show-sources` and error messages can point at it.
public enum ConfigSource: Sendable, Hashable, CustomStringConvertible {
    /// A built-in default (upstream clearml-agent defaults, or the glue's own).
    case defaultValue
    /// A clearml.conf (or an included file), at the line where the value was written.
    case file(path: String, line: Int)
    /// A process environment variable: a mapped one (`CLEARML_API_HOST`) or a dynamic one (`CLEARML_AGENT__...`).
    case environment(name: String)
    /// A command-line flag.
    case flag(name: String)

    public var description: String {
        switch self {
        case .defaultValue: "default"
        case let .file(path, line): "\(path):\(line)"
        case let .environment(name): "env \(name)"
        case let .flag(name): "flag \(name)"
        }
    }

    /// The phrase used at the start of an error message ("environment variable X", "/etc/clearml.conf:3").
    public var errorPrefix: String {
        switch self {
        case .defaultValue: "built-in default"
        case let .file(path, line): "\(path):\(line)"
        case let .environment(name): "environment variable \(name)"
        case let .flag(name): "flag \(name)"
        }
    }
}

/// A position in a configuration file; lines and columns count from 1, columns in characters.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
    public var source: ConfigSource { .file(path: file, line: line) }
}
