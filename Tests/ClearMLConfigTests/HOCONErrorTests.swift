import ClearMLConfig
import Testing

@Suite("HOCON errors name file, line and column, and say how to fix")
struct HOCONErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        /// `file:line:col: ` the message must start with.
        let position: String
        let message: String
        let hint: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "unclosed object", text: "api {\n  a = 1\n\nagent {\n  b = 2\n}\n", position: "c.conf:7:1",
             message: "expected '}' to close object opened at line 1", hint: "unbalanced brace"),
        Case(name: "stray closing brace", text: "a = 1\n}\n", position: "c.conf:2:1",
             message: "unexpected '}' with no open object", hint: "add the missing '{'"),
        Case(name: "stray closing bracket", text: "a { b = 1 ]\n}", position: "c.conf:1:11",
             message: "unexpected ']' after a value", hint: "separate"),
        Case(name: "unclosed list", text: "a = [1,\n 2\n", position: "c.conf:3:1",
             message: "expected ']' to close list opened at line 1", hint: "unbalanced bracket"),
        Case(name: "brace inside list", text: "x {\n a = [1, 2\n}\n", position: "c.conf:3:1",
             message: "unexpected '}' inside the list opened at line 2", hint: "close the list with ']'"),
        Case(name: "missing separator", text: "api {\n  api_server \"x\"\n}", position: "c.conf:2:14",
             message: "expected ':', '=' or '{' after key 'api_server'", hint: "api_server: value"),
        Case(name: "key alone at end of line", text: "worker_id\n", position: "c.conf:1:10",
             message: "expected ':', '=' or '{' after key 'worker_id' but found the end of the line", hint: "quote keys"),
        Case(name: "missing value", text: "a =\nb = 2", position: "c.conf:1:4",
             message: "missing value for 'a'", hint: "\"\" for an empty string"),
        Case(name: "missing value before brace", text: "x { a: }", position: "c.conf:1:8",
             message: "missing value for 'a'", hint: "after the separator"),
        Case(name: "unterminated string", text: "a = 1\nb = \"abc\nc = 2", position: "c.conf:2:5",
             message: "unterminated string", hint: "close it with '\"'"),
        Case(name: "bad escape", text: #"a = "x\qy""#, position: "c.conf:1:7",
             message: "invalid escape '\\q'", hint: "\\\\ for a backslash"),
        Case(name: "bad unicode escape", text: #"a = "\u12""#, position: "c.conf:1:6",
             message: "invalid \\u escape", hint: "four hex digits"),
        Case(name: "unterminated triple quote", text: "a = \"\"\"abc\n", position: "c.conf:1:5",
             message: "unterminated triple-quoted string", hint: "\"\"\""),
        Case(name: "unterminated substitution", text: "a = ${HOME\n", position: "c.conf:1:5",
             message: "unterminated substitution", hint: "close it with '}'"),
        Case(name: "empty substitution", text: "a = ${ }", position: "c.conf:1:5",
             message: "empty substitution", hint: "${HOME}"),
        Case(name: "empty key segment", text: "a..b = 1", position: "c.conf:1:1",
             message: "empty path segment", hint: "stray '.'"),
        Case(name: "two fields on one line", text: "a { b = 1 } c = 2", position: "c.conf:1:13",
             message: "unexpected 'c' after a value", hint: "own line"),
        Case(name: "text after root object", text: "{ a = 1 }\nb = 2", position: "c.conf:2:1",
             message: "after the closing '}' of the root object", hint: "drop the root braces"),
        Case(name: "object and string concatenation", text: "a = { b = 1 } x", position: "c.conf:1:5",
             message: "cannot join an object or list", hint: "quote the text"),
        Case(name: "append to non-list", text: "a = 1\na += 2", position: "c.conf:2:1",
             message: "'+=' on 'a'", hint: "make it a list"),
        Case(name: "malformed include", text: "include nothing(\"x\")", position: "c.conf:1:9",
             message: "malformed include", hint: "include \"other.conf\""),
        Case(name: "unsupported include", text: "include url(\"http://x\")", position: "c.conf:1:1",
             message: "include url(...) is not supported", hint: "local path"),
    ]

    @Test(arguments: cases)
    func reports(_ testCase: Case) {
        let error = configError { _ = try parse(testCase.text, file: "c.conf") }
        let text = error?.description ?? "no error"
        #expect(text.hasPrefix(testCase.position + ": "), "\(text)")
        #expect(text.contains(testCase.message), "\(text)")
        #expect(text.contains(" — ") && text.contains(testCase.hint), "\(text)")
    }
}
