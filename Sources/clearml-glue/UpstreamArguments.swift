/// Upstream `clearml-agent` takes its global options before the subcommand
/// (`clearml-agent --config-file F --debug execute --id T`); ours belong to each subcommand. Templates and
/// scripts written for upstream must keep working when our binary answers as `clearml-agent`, so the global
/// options found before the subcommand are moved after it.
enum UpstreamArguments {
    static let globalWithValue: Set<String> = ["--config-file", "--log-level", "--log-format"]
    static let globalFlags: [String: [String]] = ["--debug": ["--log-level", "debug"]]

    static func normalize(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            if globalWithValue.contains(word), index + 1 < arguments.count {
                leading += [word, arguments[index + 1]]
                index += 2
            } else if let name = globalWithValue.first(where: { word.hasPrefix($0 + "=") }) {
                leading += [name, String(word.dropFirst(name.count + 1))]
                index += 1
            } else if let replacement = globalFlags[word] {
                leading += replacement
                index += 1
            } else {
                break
            }
        }
        guard !leading.isEmpty, index < arguments.count else { return arguments }
        return [arguments[index]] + leading + arguments[(index + 1)...]
    }
}
