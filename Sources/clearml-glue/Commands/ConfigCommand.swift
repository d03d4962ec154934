import ArgumentParser
import ClearMLConfig
import Foundation
import GlueCLI

/// `clearml-glue config`: the effective configuration after defaults, clearml.conf, environment and flags are
/// merged, with secrets masked; `--show-sources` says where each value came from.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the effective configuration (defaults < clearml.conf < environment < flags), secrets masked.",
        discussion: """
        Reads --config-file, else $CLEARML_CONFIG_FILE, else ~/clearml.conf (a missing ~/clearml.conf is fine). \
        Environment variables from the ClearML agent and SDK documentation, CLEARML_AGENT__<SECTION>__<KEY> dynamic \
        overrides and the glue's K8S_GLUE_* knobs are applied on top. Exits non-zero, with one message saying what, \
        where and how to fix, when anything is malformed.
        """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customLong("json"), help: "Print JSON instead of HOCON.")
    var json = false

    @Flag(name: .customLong("show-sources"), help: "Show where each value comes from (flag, env var, file:line, default).")
    var showSources = false

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a setting for this run: PATH=VALUE, VALUE read as JSON when it parses, else as text (repeatable).",
        valueName: "path=value"))
    var overrides: [String] = []

    func run() async throws {
        try global.bootstrapLogging()
        let loader = ConfigLoader.forCurrentProcess(configFile: global.configFile, flagOverrides: try flagOverrides())
        let config = try loader.load()
        try ClearMLSettings(config).validate()

        let options = ConfigRenderer.Options(showSources: showSources, indent: json ? "  " : "    ")
        if json {
            print(ConfigRenderer.json(config.root, options: options), terminator: "")
        } else {
            print(header(config), terminator: "")
            print(ConfigRenderer.hocon(config.root, options: options), terminator: "")
        }
    }

    private func flagOverrides() throws -> [String: ConfigValue] {
        var result: [String: ConfigValue] = [:]
        for item in overrides {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw ValidationError("--set '\(item)' is not PATH=VALUE; write e.g. --set agent.worker_id=my-worker")
            }
            let path = String(item[..<equals]).trimmingCharacters(in: .whitespaces)
            let raw = String(item[item.index(after: equals)...])
            let source = ConfigSource.flag(name: "--set \(path)")
            result[path] = ConfigValue(json: raw, source: source) ?? .string(raw, source: source)
        }
        return result
    }

    private func header(_ config: EffectiveConfig) -> String {
        guard let file = config.configFile else { return "" }
        let state = file.loaded ? file.selectedBy.description : "not found; defaults and environment only"
        return "# clearml-glue effective configuration\n# configuration file: \(file.path) (\(state))\n"
    }
}
