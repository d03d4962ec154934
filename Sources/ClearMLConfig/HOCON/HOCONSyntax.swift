/// The parsed shape of a HOCON document, before substitutions and includes are resolved. Keeping this
/// separate lets the evaluator resolve `${...}` in document order against what is already defined.
struct HOCONObjectNode: Sendable {
    var statements: [HOCONStatement]
    var location: SourceLocation
}

enum HOCONStatement: Sendable {
    case field(HOCONField)
    case include(HOCONInclude)
}

struct HOCONField: Sendable {
    enum Operator: Sendable { case assign, append }
    var path: [String]
    var op: Operator
    var value: HOCONValueNode
    var location: SourceLocation
}

struct HOCONInclude: Sendable {
    var path: String
    var required: Bool
    var scheme: String
    var location: SourceLocation
}

/// A value is a concatenation of pieces (`${HOME}/.clearml`, `a b c`); most values have one piece.
struct HOCONValueNode: Sendable {
    var pieces: [HOCONPiece]
    var location: SourceLocation
}

enum HOCONPiece: Sendable {
    case quoted(String, SourceLocation)
    case unquoted(String, SourceLocation)
    case whitespace(String)
    case substitution(path: String, optional: Bool, SourceLocation)
    case object(HOCONObjectNode)
    case array(HOCONArrayNode)

    var isWhitespace: Bool {
        if case .whitespace = self { return true }
        return false
    }
}

struct HOCONArrayNode: Sendable {
    var elements: [HOCONValueNode]
    var location: SourceLocation
}
