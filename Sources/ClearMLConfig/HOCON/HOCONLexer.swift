/// Turns clearml.conf text into tokens on demand. The parser says whether it expects a key or a value,
/// because the two read unquoted text differently: in a value `https://host:8008` and `--ipc=host` are one
/// string, in a key `:` and `=` end the key.
struct HOCONLexer: Sendable {
    enum Mode { case key, value }

    let file: String
    private let characters: [Character]
    private(set) var index = 0
    private(set) var line = 1
    private(set) var column = 1

    init(text: String, file: String) {
        self.file = file
        self.characters = Array(text)
    }

    var location: SourceLocation { SourceLocation(file: file, line: line, column: column) }

    /// The next token without consuming it.
    func peek(_ mode: Mode) throws(ConfigError) -> HOCONToken {
        var copy = self
        return try copy.next(mode)
    }

    mutating func next(_ mode: Mode) throws(ConfigError) -> HOCONToken {
        skipComment()
        let start = location
        guard let character = current else { return HOCONToken(kind: .endOfInput, location: start) }

        if character.isNewline {
            advance()
            return HOCONToken(kind: .newline, location: start)
        }
        if Self.isInlineWhitespace(character) {
            var text = ""
            while let next = current, Self.isInlineWhitespace(next) {
                text.append(next)
                advance()
            }
            return HOCONToken(kind: .whitespace(text), location: start)
        }
        switch character {
        case "{": advance(); return HOCONToken(kind: .openBrace, location: start)
        case "}": advance(); return HOCONToken(kind: .closeBrace, location: start)
        case "[": advance(); return HOCONToken(kind: .openBracket, location: start)
        case "]": advance(); return HOCONToken(kind: .closeBracket, location: start)
        case ",": advance(); return HOCONToken(kind: .comma, location: start)
        case "\"":
            if lookingAt("\"\"\"") { return try tripleQuoted(start: start) }
            return try quoted(start: start)
        case "$" where lookingAt("${"):
            return try substitution(start: start)
        default:
            break
        }
        if mode == .key {
            switch character {
            case ":": advance(); return HOCONToken(kind: .colon, location: start)
            case "=": advance(); return HOCONToken(kind: .equals, location: start)
            case "+" where lookingAt("+="): advance(); advance(); return HOCONToken(kind: .plusEquals, location: start)
            default: break
            }
        }
        return HOCONToken(kind: .unquoted(unquoted(mode)), location: start)
    }

    // MARK: - Include directives

    /// Reads what follows `include `: `"file"`, `file("...")`, `required(...)`; the forms HOCON allows.
    mutating func includeTarget() throws(ConfigError) -> (path: String, required: Bool, scheme: String) {
        skipInlineWhitespace()
        let start = location
        if current == "\"" {
            guard case let .quoted(path) = try quoted(start: start).kind else { throw malformedInclude(start) }
            return (path, false, "file")
        }
        var name = ""
        while let character = current, character.isLetter {
            name.append(character)
            advance()
        }
        guard ["file", "required", "url", "classpath"].contains(name), current == "(" else { throw malformedInclude(start) }
        advance()
        skipInlineWhitespace()
        var result: (path: String, required: Bool, scheme: String)
        if name == "required" {
            result = try includeTarget()
            result.required = true
        } else {
            guard current == "\"", case let .quoted(path) = try quoted(start: location).kind else { throw malformedInclude(start) }
            result = (path, false, name)
        }
        skipInlineWhitespace()
        guard current == ")" else { throw malformedInclude(start) }
        advance()
        return result
    }

    /// True when the text after the current `include` word is an include target, not `include = ...`.
    /// Called with the lexer just past the word.
    func startsIncludeTarget() -> Bool {
        var probe = self
        probe.skipInlineWhitespace()
        guard probe.index > index, let next = probe.current else { return false }
        // Anything but a separator after `include ` is meant as an include (and reported if malformed).
        return !next.isNewline && !":={+.#".contains(next) && !probe.lookingAt("//")
    }

    private func malformedInclude(_ at: SourceLocation) -> ConfigError {
        ConfigError(.syntax, at: at, message: "malformed include",
                    hint: "write include \"other.conf\", include file(\"other.conf\") or include required(\"other.conf\")")
    }

    // MARK: - Pieces

    private var current: Character? { index < characters.count ? characters[index] : nil }

    private mutating func advance() {
        guard let character = current else { return }
        index += 1
        if character.isNewline {
            line += 1
            column = 1
        } else {
            column += 1
        }
    }

    private func lookingAt(_ text: String) -> Bool {
        var position = index
        for character in text {
            guard position < characters.count, characters[position] == character else { return false }
            position += 1
        }
        return true
    }

    private static func isInlineWhitespace(_ character: Character) -> Bool {
        !character.isNewline && (character.isWhitespace || character == "\u{FEFF}")
    }

    private mutating func skipInlineWhitespace() {
        while let character = current, Self.isInlineWhitespace(character) { advance() }
    }

    /// Called where a token would start: `#` or `//` there begins a comment. Inside an unquoted value `//` is
    /// text, so `https://host` stays one value.
    private mutating func skipComment() {
        guard current == "#" || lookingAt("//") else { return }
        while let character = current, !character.isNewline { advance() }
    }

    private mutating func unquoted(_ mode: Mode) -> String {
        var text = ""
        while let character = current {
            if character.isNewline || Self.isInlineWhitespace(character) { break }
            if "{}[],\"#".contains(character) || lookingAt("${") { break }
            if mode == .key, character == ":" || character == "=" || lookingAt("+=") || lookingAt("//") { break }
            text.append(character)
            advance()
        }
        return text
    }

    private mutating func quoted(start: SourceLocation) throws(ConfigError) -> HOCONToken {
        advance()
        var text = ""
        while let character = current {
            if character.isNewline { break }
            advance()
            if character == "\"" { return HOCONToken(kind: .quoted(text), location: start) }
            if character == "\\" {
                let escapeLocation = SourceLocation(file: file, line: line, column: column - 1)
                guard let escaped = current, !escaped.isNewline else { break }
                advance()
                switch escaped {
                case "\"", "\\", "/": text.append(escaped)
                case "n": text.append("\n")
                case "t": text.append("\t")
                case "r": text.append("\r")
                case "b": text.append("\u{08}")
                case "f": text.append("\u{0C}")
                case "u": text.unicodeScalars.append(try unicodeEscape(at: escapeLocation))
                default:
                    throw ConfigError(.syntax, at: escapeLocation, message: "invalid escape '\\\(escaped)' in a quoted string",
                                      hint: "write \\\\ for a backslash, or use a triple-quoted \"\"\"string\"\"\" for raw text")
                }
            } else {
                text.append(character)
            }
        }
        throw ConfigError(.syntax, at: start, message: "unterminated string",
                          hint: "close it with '\"' on the same line, or use \"\"\" for text spanning lines")
    }

    private mutating func unicodeEscape(at escapeLocation: SourceLocation) throws(ConfigError) -> Unicode.Scalar {
        var hex = ""
        for _ in 0..<4 {
            guard let character = current, character.isHexDigit else { break }
            hex.append(character)
            advance()
        }
        guard hex.count == 4, let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else {
            throw ConfigError(.syntax, at: escapeLocation, message: "invalid \\u escape in a quoted string",
                              hint: "write exactly four hex digits, e.g. \\u00e9")
        }
        return scalar
    }

    /// `"""raw text"""`: no escapes, may span lines; quotes beyond the closing three belong to the text.
    private mutating func tripleQuoted(start: SourceLocation) throws(ConfigError) -> HOCONToken {
        for _ in 0..<3 { advance() }
        var text = ""
        while current != nil {
            if lookingAt("\"\"\"") {
                var quotes = 0
                while current == "\"" {
                    quotes += 1
                    advance()
                }
                text += String(repeating: "\"", count: quotes - 3)
                return HOCONToken(kind: .quoted(text), location: start)
            }
            if let character = current { text.append(character) }
            advance()
        }
        throw ConfigError(.syntax, at: start, message: "unterminated triple-quoted string",
                          hint: "close it with \"\"\"")
    }

    private mutating func substitution(start: SourceLocation) throws(ConfigError) -> HOCONToken {
        advance()
        advance()
        var optional = false
        if current == "?" {
            optional = true
            advance()
        }
        var path = ""
        var inQuotes = false
        while let character = current, !character.isNewline {
            if character == "}" && !inQuotes {
                advance()
                let trimmed = path.trimmingWhitespace
                guard !trimmed.isEmpty else {
                    throw ConfigError(.syntax, at: start, message: "empty substitution '${}'",
                                      hint: "name a setting or an environment variable, e.g. ${HOME}")
                }
                return HOCONToken(kind: .substitution(path: trimmed, optional: optional), location: start)
            }
            if character == "\"" { inQuotes.toggle() }
            path.append(character)
            advance()
        }
        throw ConfigError(.syntax, at: start, message: "unterminated substitution '${\(path)'",
                          hint: "close it with '}' on the same line")
    }
}

extension String {
    var trimmingWhitespace: String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
