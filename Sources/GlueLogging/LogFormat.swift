import Foundation
import Logging

/// How each log event is written: one line per event, either human text or a JSON object.
public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json

    public init(parsing raw: String, source: String) throws(LoggingConfigurationError) {
        guard let format = LogFormat(rawValue: raw.lowercased()) else {
            throw LoggingConfigurationError(
                "unknown log format '\(raw)' (from \(source)); use one of: \(LogFormat.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        self = format
    }
}

/// A logging option that cannot be honoured; its description says what, where from, and the accepted values.
public struct LoggingConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Logger.Level {
    /// Parses swift-log names and the Python names ClearML users already put in `CLEARML_LOG_LEVEL`
    /// (`WARN`, `WARNING`, `FATAL`...), case-insensitively.
    public init(parsing raw: String, source: String) throws(LoggingConfigurationError) {
        switch raw.trimmingCharacters(in: .whitespaces).lowercased() {
        case "trace", "notset": self = .trace
        case "debug": self = .debug
        case "info": self = .info
        case "notice": self = .notice
        case "warn", "warning": self = .warning
        case "error": self = .error
        case "critical", "fatal": self = .critical
        default:
            throw LoggingConfigurationError(
                "unknown log level '\(raw)' (from \(source)); use one of: trace, debug, info, notice, warning, error, critical"
            )
        }
    }
}
