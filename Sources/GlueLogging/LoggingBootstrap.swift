import Logging

/// Installs the process-wide log handler once, from the command line and the environment.
public enum LoggingBootstrap {
    /// Resolves the level from the flag, else `CLEARML_LOG_LEVEL`, else `info`; errors name the source.
    public static func resolveLevel(flag: String?, environment: [String: String]) throws(LoggingConfigurationError) -> Logger.Level {
        if let flag { return try Logger.Level(parsing: flag, source: "--log-level") }
        if let env = environment["CLEARML_LOG_LEVEL"], !env.isEmpty {
            return try Logger.Level(parsing: env, source: "environment variable CLEARML_LOG_LEVEL")
        }
        return .info
    }

    public static func bootstrap(level: Logger.Level, format: LogFormat, sink: LogSink = .standardError) {
        LoggingSystem.bootstrap { label in
            LineLogHandler(label: label, level: level, format: format, sink: sink)
        }
    }
}
