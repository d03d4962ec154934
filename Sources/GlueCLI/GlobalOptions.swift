import ArgumentParser
import GlueLogging

/// Options every subcommand accepts; parsed once per invocation.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("config-file"), help: "clearml.conf to read (default: $CLEARML_CONFIG_FILE, then ~/clearml.conf).")
    var configFile: String?

    @Option(name: .customLong("log-level"), help: "Log level: trace, debug, info, notice, warning, error, critical (default: $CLEARML_LOG_LEVEL or info).")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "Log line format: text or json.")
    var logFormat: String = "text"
}
