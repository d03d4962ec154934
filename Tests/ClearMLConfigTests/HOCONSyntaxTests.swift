import ClearMLConfig
import Testing

@Suite("HOCON syntax forms")
struct HOCONSyntaxTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let expected: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "colon", text: "a: 1", expected: #"{"a": 1}"#),
        Case(name: "equals", text: "a = 1", expected: #"{"a": 1}"#),
        Case(name: "brace form", text: "a { b = 1 }", expected: #"{"a": {"b": 1}}"#),
        Case(name: "brace form without space", text: "a{b=1}", expected: #"{"a": {"b": 1}}"#),
        Case(name: "root braces", text: "{ a: 1, b: 2 }", expected: #"{"a": 1, "b": 2}"#),
        Case(name: "empty document", text: "  \n # nothing\n", expected: "{}"),
        Case(name: "dotted key", text: "a.b.c = 1", expected: #"{"a": {"b": {"c": 1}}}"#),
        Case(name: "quoted key with dot", text: #""a.b" = 1"#, expected: #"{"a.b": 1}"#),
        Case(name: "mixed quoted path", text: #"x."nvidia.com/gpu".y = 2"#, expected: #"{"x": {"nvidia.com/gpu": {"y": 2}}}"#),
        Case(name: "quoted keys and equals (web UI paste)", text: "credentials {\n \"access_key\" = \"K\"\n \"secret_key\" = \"S\"\n}",
             expected: #"{"credentials": {"access_key": "K", "secret_key": "S"}}"#),
        Case(name: "json style one-liner", text: #"credentials {"access_key": "K", "secret_key": "S"}"#,
             expected: #"{"credentials": {"access_key": "K", "secret_key": "S"}}"#),
        Case(name: "object merge", text: "a { x = 1 }\na { y = 2 }", expected: #"{"a": {"x": 1, "y": 2}}"#),
        Case(name: "dotted merge into object", text: "a { x = 1 }\na.y = 2", expected: #"{"a": {"x": 1, "y": 2}}"#),
        Case(name: "later scalar wins", text: "a = 1\na = 2", expected: #"{"a": 2}"#),
        Case(name: "object replaces scalar", text: "a = 1\na { b = 2 }", expected: #"{"a": {"b": 2}}"#),
        Case(name: "scalar replaces object", text: "a { b = 2 }\na = 3", expected: #"{"a": 3}"#),
        Case(name: "duplicate key keeps first position", text: "a = 1\nb = 2\na = 3", expected: #"{"a": 3, "b": 2}"#),
        Case(name: "array", text: "a = [1, 2, 3]", expected: #"{"a": [1, 2, 3]}"#),
        Case(name: "array trailing comma", text: #"a = ["x", "y", ]"#, expected: #"{"a": ["x", "y"]}"#),
        Case(name: "array over lines", text: "a = [\n  \"x\"\n\n  \"y\"\n]", expected: #"{"a": ["x", "y"]}"#),
        Case(name: "empty array over lines", text: "agent.package_manager.extra_index_url= [\n\n]",
             expected: #"{"agent": {"package_manager": {"extra_index_url": []}}}"#),
        Case(name: "array of objects", text: "a = [ { url: \"file://*\" }  # c\n { b: 1 } ]",
             expected: #"{"a": [{"url": "file://*"}, {"b": 1}]}"#),
        Case(name: "nested arrays", text: "a = [[1], []]", expected: #"{"a": [[1], []]}"#),
        Case(name: "hash comment", text: "a = 1 # note\n# whole line\nb = 2", expected: #"{"a": 1, "b": 2}"#),
        Case(name: "slash comment", text: "a = 1 // note\n// whole line\nb = 2", expected: #"{"a": 1, "b": 2}"#),
        Case(name: "url is not a comment", text: "api_server: https://api.clear.ml", expected: #"{"api_server": "https://api.clear.ml"}"#),
        Case(name: "url with port", text: "a: http://localhost:8008/x", expected: #"{"a": "http://localhost:8008/x"}"#),
        Case(name: "unquoted path", text: "venvs_dir = ~/.clearml/venvs-builds", expected: #"{"venvs_dir": "~/.clearml/venvs-builds"}"#),
        Case(name: "unquoted with equals", text: "a: --ipc=host", expected: #"{"a": "--ipc=host"}"#),
        Case(name: "unquoted concatenation keeps inner spaces", text: "a = foo  bar baz  ", expected: #"{"a": "foo  bar baz"}"#),
        Case(name: "unit suffix is a string", text: "min_free_bytes = 10GB", expected: #"{"min_free_bytes": "10GB"}"#),
        Case(name: "percent", text: "m = 5%", expected: #"{"m": "5%"}"#),
        Case(name: "quoted string escapes", text: #"a = "x\"y\\z\n\u00e9""#, expected: #"{"a": "x\"y\\z\né"}"#),
        Case(name: "quoted keeps hash", text: #"a = "p#ss $x""#, expected: #"{"a": "p#ss $x"}"#),
        Case(name: "quoted and unquoted concatenation", text: #"a = foo" bar""#, expected: #"{"a": "foo bar"}"#),
        Case(name: "triple quoted over lines", text: "a = \"\"\"line 1\n  \"quoted\" \\n raw\nline 3\"\"\"",
             expected: #"{"a": "line 1\n  \"quoted\" \\n raw\nline 3"}"#),
        Case(name: "triple quoted extra closing quotes", text: "a = \"\"\"x\"\"\"\"\"", expected: #"{"a": "x\"\""}"#),
        Case(name: "booleans any case", text: "a: True\nb: false\nc: TRUE", expected: #"{"a": true, "b": false, "c": true}"#),
        Case(name: "yes stays text", text: "a: yes", expected: #"{"a": "yes"}"#),
        Case(name: "null", text: "a: null", expected: #"{"a": null}"#),
        Case(name: "numbers", text: "i = -3\nd = 2.0\ne = 1e3\nv = 10.1.2", expected: #"{"i": -3, "d": 2.0, "e": 1000.0, "v": "10.1.2"}"#),
        Case(name: "comma separated fields", text: "a = 1, b = 2", expected: #"{"a": 1, "b": 2}"#),
        Case(name: "field with commas in object", text: "x { enabled: true, path: ~/.c }", expected: #"{"x": {"enabled": true, "path": "~/.c"}}"#),
        Case(name: "plus equals appends", text: "a = [1]\na += 2\nb += x", expected: #"{"a": [1, 2], "b": ["x"]}"#),
        Case(name: "object value with equals", text: "a = { b: 1 }\na = { c: 2 }", expected: #"{"a": {"b": 1, "c": 2}}"#),
        Case(name: "crlf line endings", text: "a = 1\r\nb {\r\n c = 2\r\n}\r\n", expected: #"{"a": 1, "b": {"c": 2}}"#),
        Case(name: "key named include", text: "include = 3", expected: #"{"include": 3}"#),
        Case(name: "dashes and digits in keys", text: "k8s-glue.max-pods_2 = 1", expected: #"{"k8s-glue": {"max-pods_2": 1}}"#),
    ]

    @Test(arguments: cases)
    func parses(_ testCase: Case) throws {
        #expect(json(try parse(testCase.text)) == testCase.expected)
    }

    @Test func leavesCarryFileAndLine() throws {
        let root = try parse("api {\n  api_server: \"x\"\n  credentials {\n    access_key = k\n  }\n}\n", file: "/etc/c.conf")
        #expect(root.value(at: ["api", "api_server"])?.source == .file(path: "/etc/c.conf", line: 2))
        #expect(root.value(at: ["api", "credentials", "access_key"])?.source == .file(path: "/etc/c.conf", line: 4))
    }
}
