import JSONValue

extension ConfigValue {
    /// `text` as a value when it is one complete JSON document, else nil: how environment values and `--set`
    /// flags are typed (`true`, `3`, `["a"]`, `{"a": 1}`, `"quoted"`). Object members keep the order they are
    /// written in, which `JSONValue.object` (a dictionary) would lose, so this builds from the reader's events; a
    /// repeated key keeps its first place and its last value. Every node carries `source`.
    public init?(json text: String, source: ConfigSource) {
        // The open objects and lists, innermost last, each with the key it goes under in its parent.
        var open: [(key: String?, object: ConfigObject?, items: [ConfigValue])] = []
        var key: String?
        var root: ConfigValue?
        func attach(_ value: ConfigValue, under key: String?) {
            if open.isEmpty {
                root = value
            } else if open[open.count - 1].object != nil {
                open[open.count - 1].object?[key ?? ""] = value
            } else {
                open[open.count - 1].items.append(value)
            }
        }
        do {
            try JSONValue.decode(text) { event in
                switch event {
                case .objectStart: open.append((key, ConfigObject(), []))
                case .arrayStart: open.append((key, nil, []))
                case .key(let name): key = name
                case .end:
                    let done = open.removeLast()
                    attach(ConfigValue(done.object.map(Kind.object) ?? .array(done.items), source: source), under: done.key)
                case .scalar(let value):
                    switch value {
                    case .string(let text): attach(.string(text, source: source), under: key)
                    case .int(let number): attach(.int(Int(number), source: source), under: key)
                    case .double(let number): attach(.double(number, source: source), under: key)
                    case .bool(let flag): attach(.bool(flag, source: source), under: key)
                    case .null: attach(.null(source: source), under: key)
                    case .array, .object: break  // containers come as their own events
                    }
                }
            }
        } catch {
            return nil
        }
        guard let root else { return nil }
        self = root
    }
}
