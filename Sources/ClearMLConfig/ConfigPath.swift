import JSONValue

/// Dotted configuration paths (`agent.package_manager.type`), with quoting for segments that contain dots
/// or other characters HOCON would read differently (`"nvidia.com/gpu"`).
public enum ConfigPath {
    /// Splits a dotted path; a double-quoted segment may contain dots. Empty segments are dropped.
    public static func split(_ path: String) -> [String] {
        var segments: [String] = []
        var current = ""
        var quoted = false
        var sawQuote = false
        for character in path {
            if character == "\"" {
                quoted.toggle()
                sawQuote = true
            } else if character == ".", !quoted {
                if !current.isEmpty || sawQuote { segments.append(current) }
                current = ""
                sawQuote = false
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty || sawQuote { segments.append(current) }
        return segments
    }

    /// Joins segments, quoting those that need it, so `split(join(x)) == x`.
    public static func join(_ segments: [String]) -> String {
        segments.map(quoteIfNeeded).joined(separator: ".")
    }

    /// A key as HOCON would accept it unquoted, else as a JSON string.
    public static func quoteIfNeeded(_ key: String) -> String {
        let plain = !key.isEmpty && key.unicodeScalars.allSatisfy { scalar in
            (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-")
                && scalar.isASCII
        }
        return plain ? key : JSONValue.quote(key)
    }
}
