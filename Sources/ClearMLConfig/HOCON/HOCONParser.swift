/// Recursive-descent parser from tokens to `HOCONObjectNode`. Root braces are optional; fields are
/// `key = v`, `key : v`, `key += v` or `key { ... }`; keys may be dotted paths with quoted segments;
/// fields are separated by newlines or commas.
struct HOCONParser {
    private var lexer: HOCONLexer
    /// Objects and lists open at this point. Each level is a stack frame here and in the evaluator, so a
    /// hostile file could otherwise crash the process; a real clearml.conf needs a handful of levels.
    private var nesting = 0
    static let maxNesting = 200

    init(text: String, file: String) {
        lexer = HOCONLexer(text: text, file: file)
    }

    static func parse(_ text: String, file: String) throws(ConfigError) -> HOCONObjectNode {
        var parser = HOCONParser(text: text, file: file)
        return try parser.parseDocument()
    }

    mutating func parseDocument() throws(ConfigError) -> HOCONObjectNode {
        try skipBlank(commas: false)
        let first = try lexer.peek(.key)
        if first.kind == .openBrace {
            _ = try lexer.next(.key)
            let body = try parseObjectBody(openedAt: first.location)
            try skipBlank(commas: false)
            let trailing = try lexer.next(.key)
            guard trailing.kind == .endOfInput else {
                throw ConfigError(.syntax, at: trailing.location,
                                  message: "unexpected \(trailing.display) after the closing '}' of the root object",
                                  hint: "remove it, or drop the root braces so fields can follow each other")
            }
            return body
        }
        return try parseObjectBody(openedAt: nil)
    }

    // MARK: - Objects

    /// Parses fields until the matching `}` (consumed) or, for the brace-less root, the end of input.
    private mutating func parseObjectBody(openedAt: SourceLocation?) throws(ConfigError) -> HOCONObjectNode {
        if let openedAt { try enter(openedAt) }
        defer { if openedAt != nil { nesting -= 1 } }
        var statements: [HOCONStatement] = []
        let location = openedAt ?? lexer.location
        while true {
            try skipBlank(commas: true)
            let token = try lexer.peek(.key)
            switch token.kind {
            case .endOfInput:
                if let openedAt {
                    throw ConfigError(.syntax, at: token.location,
                                      message: "expected '}' to close object opened at line \(openedAt.line)",
                                      hint: "check for an unbalanced brace")
                }
                return HOCONObjectNode(statements: statements, location: location)
            case .closeBrace:
                guard openedAt != nil else {
                    throw ConfigError(.syntax, at: token.location, message: "unexpected '}' with no open object",
                                      hint: "remove it or add the missing '{'")
                }
                _ = try lexer.next(.key)
                return HOCONObjectNode(statements: statements, location: location)
            case .closeBracket:
                throw ConfigError(.syntax, at: token.location, message: "unexpected ']' with no open list",
                                  hint: "check for an unbalanced bracket")
            case .unquoted("include") where isIncludeAhead():
                _ = try lexer.next(.key)
                let target = try lexer.includeTarget()
                statements.append(.include(HOCONInclude(path: target.path, required: target.required,
                                                        scheme: target.scheme, location: token.location)))
            default:
                statements.append(.field(try parseField()))
            }
            try expectFieldEnd()
        }
    }

    private func isIncludeAhead() -> Bool {
        var probe = lexer
        guard (try? probe.next(.key)) != nil else { return false }
        return probe.startsIncludeTarget()
    }

    /// After a field: a newline, a comma, the closing brace or the end of input; anything else means two
    /// fields were run together.
    private mutating func expectFieldEnd() throws(ConfigError) {
        try skipInlineWhitespace(.key)
        let token = try lexer.peek(.key)
        switch token.kind {
        case .newline, .comma, .closeBrace, .endOfInput: return
        default:
            throw ConfigError(.syntax, at: token.location, message: "unexpected \(token.display) after a value",
                              hint: "put each setting on its own line or separate them with ','")
        }
    }

    private mutating func parseField() throws(ConfigError) -> HOCONField {
        let start = lexer.location
        let path = try parseKey()
        let keyText = ConfigPath.join(path)
        try skipInlineWhitespace(.key)
        let separator = try lexer.peek(.key)
        switch separator.kind {
        case .openBrace:
            _ = try lexer.next(.key)
            let object = try parseObjectBody(openedAt: separator.location)
            return HOCONField(path: path, op: .assign,
                              value: HOCONValueNode(pieces: [.object(object)], location: separator.location), location: start)
        case .colon, .equals, .plusEquals:
            _ = try lexer.next(.key)
            let value = try parseValue(context: "'\(keyText)'")
            return HOCONField(path: path, op: separator.kind == .plusEquals ? .append : .assign, value: value, location: start)
        default:
            throw ConfigError(.syntax, at: separator.location,
                              message: "expected ':', '=' or '{' after key '\(keyText)' but found \(separator.display)",
                              hint: "write '\(keyText): value' or '\(keyText) { ... }'; quote keys that contain spaces")
        }
    }

    /// A key is adjacent quoted/unquoted pieces; unquoted dots split path segments, quoted text never does.
    private mutating func parseKey() throws(ConfigError) -> [String] {
        var segments = [""]
        var sawPiece = false
        let start = lexer.location
        loop: while true {
            let token = try lexer.peek(.key)
            switch token.kind {
            case let .quoted(text):
                _ = try lexer.next(.key)
                segments[segments.count - 1] += text
                sawPiece = true
            case let .unquoted(text):
                _ = try lexer.next(.key)
                for character in text {
                    if character == "." {
                        segments.append("")
                    } else {
                        segments[segments.count - 1].append(character)
                    }
                }
                sawPiece = true
            default:
                if !sawPiece {
                    throw ConfigError(.syntax, at: token.location, message: "expected a key but found \(token.display)",
                                      hint: "start each setting with a name, e.g. 'api_server: ...'")
                }
                break loop
            }
        }
        if segments.contains(where: \.isEmpty) {
            throw ConfigError(.syntax, at: start, message: "key '\(segments.joined(separator: "."))' has an empty path segment",
                              hint: "remove the stray '.', or quote the key if the dot belongs to the name")
        }
        // A dotted key is as many nested objects as it has segments.
        guard nesting + segments.count <= Self.maxNesting else {
            throw ConfigError(.syntax, at: start, message: "objects nest more than \(Self.maxNesting) levels deep (counting the key's \(segments.count) dotted segments)",
                              hint: "flatten the structure; a clearml.conf needs only a few levels")
        }
        return segments
    }

    // MARK: - Values

    /// Pieces up to the end of the line, a comma, or a closing brace/bracket.
    private mutating func parseValue(context: String) throws(ConfigError) -> HOCONValueNode {
        try skipInlineWhitespace(.value)
        let start = lexer.location
        var pieces: [HOCONPiece] = []
        loop: while true {
            let token = try lexer.peek(.value)
            switch token.kind {
            case let .quoted(text):
                _ = try lexer.next(.value)
                pieces.append(.quoted(text, token.location))
            case let .unquoted(text):
                _ = try lexer.next(.value)
                pieces.append(.unquoted(text, token.location))
            case let .whitespace(text):
                _ = try lexer.next(.value)
                pieces.append(.whitespace(text))
            case let .substitution(path, optional):
                _ = try lexer.next(.value)
                pieces.append(.substitution(path: path, optional: optional, token.location))
            case .openBrace:
                _ = try lexer.next(.value)
                pieces.append(.object(try parseObjectBody(openedAt: token.location)))
            case .openBracket:
                _ = try lexer.next(.value)
                pieces.append(.array(try parseArray(openedAt: token.location)))
            default:
                break loop
            }
        }
        while pieces.last?.isWhitespace == true { pieces.removeLast() }
        guard !pieces.isEmpty else {
            let token = try lexer.peek(.value)
            throw ConfigError(.syntax, at: token.location, message: "missing value for \(context)",
                              hint: "write a value after the separator, or \"\" for an empty string")
        }
        return HOCONValueNode(pieces: pieces, location: start)
    }

    private mutating func parseArray(openedAt: SourceLocation) throws(ConfigError) -> HOCONArrayNode {
        try enter(openedAt)
        defer { nesting -= 1 }
        var elements: [HOCONValueNode] = []
        while true {
            try skipBlank(commas: true, mode: .value)
            let token = try lexer.peek(.value)
            switch token.kind {
            case .closeBracket:
                _ = try lexer.next(.value)
                return HOCONArrayNode(elements: elements, location: openedAt)
            case .endOfInput:
                throw ConfigError(.syntax, at: token.location,
                                  message: "expected ']' to close list opened at line \(openedAt.line)",
                                  hint: "check for an unbalanced bracket")
            case .closeBrace:
                throw ConfigError(.syntax, at: token.location,
                                  message: "unexpected '}' inside the list opened at line \(openedAt.line)",
                                  hint: "close the list with ']' first")
            default:
                elements.append(try parseValue(context: "a list element"))
                try skipInlineWhitespace(.value)
                let after = try lexer.peek(.value)
                switch after.kind {
                case .comma, .newline, .closeBracket, .endOfInput, .closeBrace: break
                default:
                    throw ConfigError(.syntax, at: after.location, message: "unexpected \(after.display) in a list",
                                      hint: "separate list elements with ',' or newlines")
                }
            }
        }
    }

    private mutating func enter(_ location: SourceLocation) throws(ConfigError) {
        nesting += 1
        guard nesting <= Self.maxNesting else {
            throw ConfigError(.syntax, at: location, message: "objects and lists nest more than \(Self.maxNesting) levels deep",
                              hint: "flatten the structure; a clearml.conf needs only a few levels")
        }
    }

    // MARK: - Blanks

    private mutating func skipInlineWhitespace(_ mode: HOCONLexer.Mode) throws(ConfigError) {
        while case .whitespace = try lexer.peek(mode).kind { _ = try lexer.next(mode) }
    }

    private mutating func skipBlank(commas: Bool, mode: HOCONLexer.Mode = .key) throws(ConfigError) {
        while true {
            switch try lexer.peek(mode).kind {
            case .whitespace, .newline: _ = try lexer.next(mode)
            case .comma where commas: _ = try lexer.next(mode)
            default: return
            }
        }
    }
}
