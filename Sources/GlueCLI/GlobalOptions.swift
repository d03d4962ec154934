import ArgumentParser

/// Options every subcommand of both executables accepts; parsed once per invocation.
public struct GlobalOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("config-file"), help: "clearml.conf to read (default: $CLEARML_CONFIG_FILE, then ~/clearml.conf).")
    public var configFile: String?

    @Option(name: .customLong("log-level"), help: "Log level: trace, debug, info, notice, warning, error, critical (default: $CLEARML_LOG_LEVEL or info).")
    public var logLevel: String?

    @Option(name: .customLong("log-format"), help: "Log line format: text or json.")
    public var logFormat: String = "text"

    public init() {}
}
