import ClearMLConfig

/// Parses HOCON with no environment and no file system unless given.
func parse(_ text: String, file: String = "test.conf", environment: [String: String] = [:],
           files: [String: String] = [:]) throws -> ConfigObject {
    try HOCON.parse(text, file: file, environment: environment, readFile: { files[$0] })
}

/// Compact JSON of a tree, sources ignored: the easiest way to compare parse results in a table.
func json(_ object: ConfigObject) -> String {
    ConfigRenderer.inlineJSON(.object(object))
}

/// The error a throwing call produced, or nil.
func configError(_ body: () throws -> Void) -> ConfigError? {
    do {
        try body()
        return nil
    } catch let error as ConfigError {
        return error
    } catch {
        return ConfigError(.syntax, origin: "unexpected", message: "\(error)")
    }
}
