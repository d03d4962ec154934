/// The lexical units of HOCON as this parser needs them. Whitespace and newlines are tokens because they
/// matter: whitespace between values is kept in string concatenation, newlines separate fields.
struct HOCONToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case openBrace, closeBrace, openBracket, closeBracket
        case comma, colon, equals, plusEquals
        case newline
        case whitespace(String)
        case quoted(String)
        case unquoted(String)
        case substitution(path: String, optional: Bool)
        case endOfInput
    }

    var kind: Kind
    var location: SourceLocation

    /// How the token is named in "found ..." error messages.
    var display: String {
        switch kind {
        case .openBrace: "'{'"
        case .closeBrace: "'}'"
        case .openBracket: "'['"
        case .closeBracket: "']'"
        case .comma: "','"
        case .colon: "':'"
        case .equals: "'='"
        case .plusEquals: "'+='"
        case .newline: "the end of the line"
        case .whitespace: "whitespace"
        case let .quoted(text): "\"\(text.prefix(30))\""
        case let .unquoted(text): "'\(text.prefix(30))'"
        case let .substitution(path, optional): optional ? "'${?\(path)}'" : "'${\(path)}'"
        case .endOfInput: "the end of the file"
        }
    }
}
