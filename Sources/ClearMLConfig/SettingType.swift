/// How the text of an environment variable becomes a typed configuration value.
public enum SettingType: Sendable, Hashable {
    case string
    /// Text kept exactly, leading blanks included (appended verbatim to a command line upstream).
    case verbatim
    /// `1/true/yes/on` or `0/false/no/off`, any case. Upstream reads "0" as true for some variables; we do not.
    case bool
    case int
    case double
    /// `a,b,c` (blanks around items ignored, empty items dropped).
    case commaList
    /// Shell words, as upstream's `shlex.split`.
    case shellWords
    /// A boolean word, or else a path (a CA bundle for `verify_certificate`).
    case boolOrPath
    /// A boolean word, or else an integer (a retry count).
    case boolOrInt
    /// One of a fixed set of words (compared case-insensitively, stored as listed).
    case choice([String])

    /// The accepted values, as shown in error messages and `config` help.
    public var expectation: String {
        switch self {
        case .string, .verbatim: "any text"
        case .bool: "one of 1/true/yes/on or 0/false/no/off"
        case .int: "a whole number"
        case .double: "a number"
        case .commaList: "a comma-separated list"
        case .shellWords: "shell words (quote items that contain spaces)"
        case .boolOrPath: "1/true/yes/on, 0/false/no/off, or a path"
        case .boolOrInt: "1/true/yes/on, 0/false/no/off, or a whole number"
        case let .choice(options): "one of \(options.joined(separator: ", "))"
        }
    }

    /// Parses `raw`, or returns nil when it does not fit (the caller builds the error: it knows the name).
    public func parse(_ raw: String, source: ConfigSource) -> ConfigValue? {
        let trimmed = raw.trimmingWhitespace
        switch self {
        case .string:
            return .string(trimmed, source: source)
        case .verbatim:
            return .string(raw, source: source)
        case .bool:
            return BooleanText.parse(trimmed).map { .bool($0, source: source) }
        case .int:
            return Int(trimmed).map { .int($0, source: source) }
        case .double:
            return Double(trimmed).flatMap { $0.isFinite ? .double($0, source: source) : nil }
        case .commaList:
            let items = trimmed.split(separator: ",").map { String($0).trimmingWhitespace }.filter { !$0.isEmpty }
            return .strings(items, source: source)
        case .shellWords:
            return (try? ShellWords.split(trimmed)).map { .strings($0, source: source) }
        case .boolOrPath:
            if let flag = BooleanText.parse(trimmed) { return .bool(flag, source: source) }
            return trimmed.isEmpty ? nil : .string(trimmed, source: source)
        case .boolOrInt:
            if let flag = BooleanText.parse(trimmed) { return .bool(flag, source: source) }
            return Int(trimmed).map { .int($0, source: source) }
        case let .choice(options):
            return options.first { $0.lowercased() == trimmed.lowercased() }.map { .string($0, source: source) }
        }
    }
}

/// The one place that decides what counts as a boolean word.
public enum BooleanText {
    public static let accepted = "1/true/yes/on or 0/false/no/off"

    public static func parse(_ text: String) -> Bool? {
        switch text.trimmingWhitespace.lowercased() {
        case "1", "true", "yes", "on": true
        case "0", "false", "no", "off": false
        default: nil
        }
    }
}
