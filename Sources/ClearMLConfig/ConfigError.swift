/// Every failure of this module: one message that says what is wrong, where, and how to fix it.
///
/// `description` reads like `~/clearml.conf:12:7: expected '}' to close object opened at line 3 — check for an
/// unbalanced brace`, so a CLI can print it as is and exit non-zero.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// clearml.conf text that is not valid HOCON.
        case syntax
        /// `${path}` that is neither an earlier setting nor an environment variable.
        case unresolvedSubstitution
        /// An `include` that cannot be followed (cycle, unreadable required file, unsupported form).
        case include
        /// A configuration file (or CA bundle) that was named explicitly but cannot be read.
        case unreadableFile
        /// An environment variable whose text does not fit the setting's type.
        case invalidEnvironmentValue
        /// A setting whose value (from any source) does not fit its type or allowed values.
        case invalidValue
        /// A required answer or setting is missing (init, credentials paste).
        case missingValue
    }

    public var kind: Kind
    /// "Where": a file position, a source phrase ("environment variable X"), or nil when not tied to one.
    public var origin: String?
    /// "What".
    public var message: String
    /// "How to fix".
    public var hint: String?

    public init(_ kind: Kind, origin: String?, message: String, hint: String? = nil) {
        self.kind = kind
        self.origin = origin
        self.message = message
        self.hint = hint
    }

    public init(_ kind: Kind, at location: SourceLocation, message: String, hint: String? = nil) {
        self.init(kind, origin: location.description, message: message, hint: hint)
    }

    public init(_ kind: Kind, source: ConfigSource, message: String, hint: String? = nil) {
        self.init(kind, origin: source.errorPrefix, message: message, hint: hint)
    }

    public var description: String {
        var text = origin.map { "\($0): \(message)" } ?? message
        if let hint, !hint.isEmpty { text += " — \(hint)" }
        return text
    }
}
