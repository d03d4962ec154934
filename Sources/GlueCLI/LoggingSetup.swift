#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GlueLogging

extension GlobalOptions {
    /// Installs structured logging from `--log-level`/`CLEARML_LOG_LEVEL` and `--log-format`.
    public func bootstrapLogging(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let level = try LoggingBootstrap.resolveLevel(flag: logLevel, environment: environment)
        let format = try LogFormat(parsing: logFormat, source: "--log-format")
        LoggingBootstrap.bootstrap(level: level, format: format)
    }
}
