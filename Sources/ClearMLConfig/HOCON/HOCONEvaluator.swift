import JSONValue

/// Turns parsed HOCON into a `ConfigObject`: applies fields in document order (so a later duplicate wins and
/// objects deep-merge), follows includes relative to the including file, and resolves `${path}` against what is
/// already defined, then against the environment, as clearml.conf files expect (`${HOME}`, `${CLEARML_API_HOST}`).
struct HOCONEvaluator {
    let environment: [String: String]
    let readFile: @Sendable (String) -> String?
    private var includeStack: [String]

    init(environment: [String: String], readFile: @escaping @Sendable (String) -> String?, file: String) {
        self.environment = environment
        self.readFile = readFile
        self.includeStack = [file]
    }

    mutating func evaluate(_ document: HOCONObjectNode) throws(ConfigError) -> ConfigObject {
        var root = ConfigObject()
        try evaluateBody(document, prefix: [], into: &root, lookupBase: nil)
        return root
    }

    // MARK: - Objects

    /// Applies `node`'s fields under `prefix` in `target`. Substitutions look in `lookupBase` when given (an
    /// object nested in a list or a concatenation), else in `target` itself.
    private mutating func evaluateBody(_ node: HOCONObjectNode, prefix: [String], into target: inout ConfigObject,
                                       lookupBase: ConfigObject?) throws(ConfigError) {
        for statement in node.statements {
            switch statement {
            case let .include(include):
                try evaluateInclude(include, prefix: prefix, into: &target, lookupBase: lookupBase)
            case let .field(field):
                let path = prefix + field.path
                if field.op == .assign, field.value.pieces.count == 1, case let .object(object) = field.value.pieces[0] {
                    // Written straight into the target so `${...}` inside can see earlier siblings by full path.
                    if target.value(at: path)?.objectValue == nil {
                        target.set(.object(ConfigObject(), source: field.location.source), at: path)
                    }
                    try evaluateBody(object, prefix: path, into: &target, lookupBase: lookupBase)
                    continue
                }
                guard let value = try resolve(field.value, base: lookupBase ?? target) else { continue }
                if field.op == .append {
                    let existing = target.value(at: path)
                    switch existing?.kind {
                    case nil:
                        target.set(.array([value], source: value.source), at: path)
                    case let .array(values)?:
                        target.set(.array(values + [value], source: value.source), at: path)
                    default:
                        throw ConfigError(.syntax, at: field.location,
                                          message: "'+=' on '\(ConfigPath.join(path))', which is \(existing?.typeName ?? "unset"), not a list",
                                          hint: "use '=' to replace it, or make it a list first")
                    }
                } else {
                    target.merge(value, at: path)
                }
            }
        }
    }

    private mutating func evaluateInclude(_ include: HOCONInclude, prefix: [String], into target: inout ConfigObject,
                                          lookupBase: ConfigObject?) throws(ConfigError) {
        guard include.scheme == "file" else {
            throw ConfigError(.include, at: include.location, message: "include \(include.scheme)(...) is not supported",
                              hint: "use include file(\"...\") with a local path")
        }
        let including = includeStack.last ?? include.location.file
        let path = Self.resolveIncludePath(include.path, relativeTo: including)
        if includeStack.contains(path) {
            throw ConfigError(.include, at: include.location,
                              message: "include cycle: \((includeStack + [path]).joined(separator: " -> "))",
                              hint: "remove one of the includes")
        }
        guard let text = readFile(path) else {
            if include.required {
                throw ConfigError(.include, at: include.location, message: "required include \(path) cannot be read",
                                  hint: "check the path (relative paths are resolved from the including file's folder)")
            }
            return
        }
        let document = try HOCONParser.parse(text, file: path)
        includeStack.append(path)
        defer { includeStack.removeLast() }
        try evaluateBody(document, prefix: prefix, into: &target, lookupBase: lookupBase)
    }

    static func resolveIncludePath(_ path: String, relativeTo including: String) -> String {
        if path.hasPrefix("/") { return path }
        guard let slash = including.lastIndex(of: "/") else { return path }
        return String(including[...slash]) + path
    }

    // MARK: - Values

    /// The value of a field or list element; nil when it is only a missing `${?optional}` (the field is dropped).
    private mutating func resolve(_ node: HOCONValueNode, base: ConfigObject) throws(ConfigError) -> ConfigValue? {
        let source = node.location.source
        let solid = node.pieces.filter { !$0.isWhitespace }
        if solid.count == 1, node.pieces.count == 1 {
            return try resolvePiece(node.pieces[0], base: base)
        }
        var resolved: [(piece: HOCONPiece, value: ConfigValue?)] = []
        for piece in node.pieces {
            resolved.append((piece, piece.isWhitespace ? nil : try resolvePiece(piece, base: base)))
        }
        let values = resolved.compactMap(\.value)
        if values.isEmpty, solid.allSatisfy({ if case .substitution(_, true, _) = $0 { true } else { false } }) {
            return nil
        }
        if values.contains(where: { $0.objectValue != nil }) {
            guard values.allSatisfy({ $0.objectValue != nil }) else { throw mixedConcatenation(node) }
            let merged = values.compactMap(\.objectValue).reduce(ConfigObject()) { $0.merging($1) }
            return .object(merged, source: source)
        }
        if values.contains(where: { $0.arrayValue != nil }) {
            guard values.allSatisfy({ $0.arrayValue != nil }) else { throw mixedConcatenation(node) }
            return .array(values.flatMap { $0.arrayValue ?? [] }, source: source)
        }
        var text = ""
        for (piece, value) in resolved {
            switch piece {
            case let .whitespace(spaces): text += spaces
            case let .unquoted(raw, _): text += raw
            default: text += value?.scalarText ?? ""
            }
        }
        return .string(text.trimmingWhitespace, source: source)
    }

    private mutating func resolvePiece(_ piece: HOCONPiece, base: ConfigObject) throws(ConfigError) -> ConfigValue? {
        switch piece {
        case let .quoted(text, location):
            return .string(text, source: location.source)
        case let .unquoted(text, location):
            return Self.literal(text, source: location.source)
        case let .whitespace(text):
            return .string(text)
        case let .substitution(path, optional, location):
            return try substitute(path, optional: optional, at: location, base: base)
        case let .object(object):
            var standalone = ConfigObject()
            try evaluateBody(object, prefix: [], into: &standalone, lookupBase: base)
            return .object(standalone, source: object.location.source)
        case let .array(array):
            var values: [ConfigValue] = []
            for element in array.elements {
                if let value = try resolve(element, base: base) { values.append(value) }
            }
            return .array(values, source: array.location.source)
        }
    }

    private func substitute(_ path: String, optional: Bool, at location: SourceLocation,
                            base: ConfigObject) throws(ConfigError) -> ConfigValue? {
        if let value = base.value(at: ConfigPath.split(path)) { return value }
        if let value = environment[path] { return .string(value, source: location.source) }
        if optional { return nil }
        throw ConfigError(.unresolvedSubstitution, at: location,
                          message: "'${\(path)}' is neither a setting defined above nor an environment variable",
                          hint: "define it earlier in the file, export \(path), or write ${?\(path)} to make it optional")
    }

    private func mixedConcatenation(_ node: HOCONValueNode) -> ConfigError {
        ConfigError(.syntax, at: node.location, message: "cannot join an object or list with other kinds of values",
                    hint: "quote the text, or put the value on its own")
    }

    /// Unquoted single tokens: `true`/`false` (any case, as pyhocon reads `True`), `null`, numbers, else text.
    static func literal(_ text: String, source: ConfigSource) -> ConfigValue {
        switch text.lowercased() {
        case "true": return .bool(true, source: source)
        case "false": return .bool(false, source: source)
        case "null": return .null(source: source)
        default: break
        }
        switch try? JSONValue.decode(text) {
        case .int(let number)?: return .int(Int(number), source: source)
        case .double(let number)?: return .double(number, source: source)
        default: return .string(text, source: source)
        }
    }
}
