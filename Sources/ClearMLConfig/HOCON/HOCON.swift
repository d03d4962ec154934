import Foundation

/// Entry points of the HOCON reader: enough of HOCON for every real clearml.conf.
public enum HOCON {
    /// Reads `path` from disk, or nil when it is missing or unreadable (callers decide whether that is an error).
    public static let readFromDisk: @Sendable (String) -> String? = { path in
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Parses `text` as if it were the file `file` (used in error positions, sources and relative includes).
    /// `${NAME}` falls back to `environment`; includes are read through `readFile`.
    public static func parse(
        _ text: String,
        file: String = "<text>",
        environment: [String: String] = [:],
        readFile: @escaping @Sendable (String) -> String? = HOCON.readFromDisk
    ) throws(ConfigError) -> ConfigObject {
        let document = try HOCONParser.parse(text, file: file)
        var evaluator = HOCONEvaluator(environment: environment, readFile: readFile, file: file)
        return try evaluator.evaluate(document)
    }

    /// Parses the file at `path`; an unreadable file is an error naming it.
    public static func parseFile(
        at path: String,
        environment: [String: String] = [:],
        readFile: @escaping @Sendable (String) -> String? = HOCON.readFromDisk
    ) throws(ConfigError) -> ConfigObject {
        guard let text = readFile(path) else {
            throw ConfigError(.unreadableFile, origin: path, message: "cannot read the configuration file",
                              hint: "check that it exists and is readable")
        }
        return try parse(text, file: path, environment: environment, readFile: readFile)
    }
}
