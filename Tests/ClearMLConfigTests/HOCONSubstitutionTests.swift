import ClearMLConfig
import Testing

@Suite("HOCON substitutions and includes")
struct HOCONSubstitutionTests {
    @Test func environmentSubstitution() throws {
        let root = try parse("api_server: ${CLEARML_API_HOST}\ncache: ${HOME}/.clearml", environment: ["CLEARML_API_HOST": "https://h", "HOME": "/home/u"])
        #expect(json(root) == #"{"api_server": "https://h", "cache": "/home/u/.clearml"}"#)
    }

    @Test func earlierSettingWinsOverEnvironment() throws {
        let root = try parse("base = /data\nHOME = /fromconf\nx = ${HOME}\ny = ${base}/sub", environment: ["HOME": "/env"])
        #expect(root["x"]?.scalarText == "/fromconf")
        #expect(root["y"]?.scalarText == "/data/sub")
    }

    @Test func nestedPathReference() throws {
        let root = try parse("agent { venvs_dir = /v\n vcs = ${agent.venvs_dir}/vcs }")
        #expect(root.value(at: ["agent", "vcs"])?.scalarText == "/v/vcs")
    }

    @Test func substitutionCopiesTypedValues() throws {
        let root = try parse("a { b = [1, 2] }\nc = ${a.b}\nd = ${a}")
        #expect(json(root) == #"{"a": {"b": [1, 2]}, "c": [1, 2], "d": {"b": [1, 2]}}"#)
    }

    @Test func selfReferenceAppends() throws {
        let root = try parse("path = /a\npath = ${path}\":/b\"")
        #expect(root["path"]?.scalarText == "/a:/b")
    }

    @Test func optionalMissingDropsField() throws {
        let root = try parse("a = 1\na = ${?NOPE}\nb = ${?NOPE}\nc = [1, ${?NOPE}, 2]\nd = x${?NOPE}y")
        #expect(json(root) == #"{"a": 1, "c": [1, 2], "d": "xy"}"#)
    }

    @Test func optionalPresentIsUsed() throws {
        let root = try parse("a = ${?X}", environment: ["X": "v"])
        #expect(root["a"]?.scalarText == "v")
    }

    @Test func quotedTextIsNotSubstituted() throws {
        let root = try parse(#"a = "${HOME}""#, environment: ["HOME": "/h"])
        #expect(root["a"]?.scalarText == "${HOME}")
    }

    @Test func missingRequiredSubstitutionNamesPosition() {
        let error = configError { _ = try parse("a = 1\nb = x ${MISSING_VAR}", file: "/c.conf") }
        #expect(error?.kind == .unresolvedSubstitution)
        #expect(error?.description.hasPrefix("/c.conf:2:7: ") == true)
        #expect(error?.description.contains("${?MISSING_VAR}") == true)
    }

    @Test func includeRelativeToIncludingFile() throws {
        let files = ["/etc/clearml/extra.conf": "agent.git_user = included\nsub { x = 1 }"]
        let root = try parse("agent { git_user = first }\ninclude \"extra.conf\"\nagent.git_host = h", file: "/etc/clearml/main.conf", files: files)
        #expect(json(root) == #"{"agent": {"git_user": "included", "git_host": "h"}, "sub": {"x": 1}}"#)
        #expect(root.value(at: ["sub", "x"])?.source == .file(path: "/etc/clearml/extra.conf", line: 2))
    }

    @Test func includeInsideObjectIsScoped() throws {
        let root = try parse("agent { include file(\"a.conf\") }", file: "/d/m.conf", files: ["/d/a.conf": "worker_id = w"])
        #expect(json(root) == #"{"agent": {"worker_id": "w"}}"#)
    }

    @Test func missingOptionalIncludeIsIgnored() throws {
        #expect(json(try parse("include \"nope.conf\"\na = 1", file: "/d/m.conf")) == #"{"a": 1}"#)
    }

    @Test func missingRequiredIncludeFails() {
        let error = configError { _ = try parse("include required(\"nope.conf\")", file: "/d/m.conf") }
        #expect(error?.kind == .include)
        #expect(error?.description.contains("/d/nope.conf") == true)
        #expect(error?.description.hasPrefix("/d/m.conf:1:1") == true)
    }

    @Test func includeCycleIsAnError() {
        let files = ["/d/a.conf": "include \"b.conf\"", "/d/b.conf": "include \"a.conf\""]
        let error = configError { _ = try parse("include \"a.conf\"", file: "/d/a.conf", files: files) }
        #expect(error?.kind == .include)
        #expect(error?.description.contains("include cycle") == true)
    }

    @Test func syntaxErrorInIncludedFileNamesThatFile() {
        let error = configError { _ = try parse("include \"b.conf\"", file: "/d/a.conf", files: ["/d/b.conf": "x {\n"]) }
        #expect(error?.description.hasPrefix("/d/b.conf:2:1:") == true)
    }
}
