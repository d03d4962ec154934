import Foundation
import Testing
import JSONValue

@Suite struct JSONValueTests {
    @Test func roundTripKeepsEveryKindAndIntegersExact() throws {
        let text = #"{"a":[1,2.5,"x",true,null,{"b":{}}],"big":9007199254740993,"neg":-3}"#
        let value = try JSONValue.decode(Data(text.utf8))
        #expect(value["big"] == .int(9_007_199_254_740_993))
        #expect(value["a"]?.arrayValue?[1] == .double(2.5))
        #expect(try JSONValue.decode(value.encoded()) == value)
        #expect(String(decoding: value.encoded(), as: UTF8.self) == #"{"a":[1,2.5,"x",true,null,{"b":{}}],"big":9007199254740993,"neg":-3}"#)
    }

    @Test func dottedPathsAndSubscriptAssignment() {
        var task: JSONValue = ["execution": ["queue": "q1"], "status": "queued"]
        #expect(task.value(at: "execution.queue") == "q1")
        #expect(task.value(at: "execution.missing.deeper") == nil)
        #expect(task.value(at: "status.x") == nil)
        task["status"] = "in_progress"
        #expect(task["status"]?.stringValue == "in_progress")
        var scalar: JSONValue = 3
        scalar["x"] = 1
        #expect(scalar == ["x": 1])
    }

    @Test func settingNestedPathsCreatesObjects() {
        var pod: JSONValue = ["kind": "Pod", "spec": "not an object"]
        pod.set("v", at: ["metadata", "labels", "a"])
        pod.set(["containers": []], at: ["spec"])
        #expect(pod.value(at: ["metadata", "labels", "a"]) == "v")
        #expect(pod["spec"] == ["containers": []])
        pod.set(1, at: [])
        #expect(pod == 1)
    }

    @Test func parserRejectsGarbageWithAnOffsetAndSurvivesDeepNesting() throws {
        #expect(throws: (any Error).self) { try JSONValue.decode("{\"a\": }") }
        #expect(throws: (any Error).self) { try JSONValue.decode("[1] x") }
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: (any Error).self) { try JSONValue.decode(deep) }
        #expect(try JSONValue.decode(#""\u00e9\ud83d\ude00""#) == "é😀")
    }

    @Test func mergePatchFollowsRFC7386() {
        let base: JSONValue = ["a": 1, "b": ["c": 2, "d": 3]]
        #expect(base.mergePatched(with: ["a": nil, "b": ["c": 5]]) == ["b": ["c": 5, "d": 3]])
        #expect(base.mergePatched(with: [1]) == [1])
    }

    @Test func numericViews() {
        #expect(JSONValue.double(3.0).intValue == 3)
        #expect(JSONValue.double(3.5).intValue == nil)
        #expect(JSONValue.int(2).doubleValue == 2.0)
        #expect(JSONValue.string("2").intValue == 2)
        #expect(JSONValue.double(1e300).intValue == nil)
        #expect(JSONValue.int(7).stringValue == "7")
        #expect(JSONValue.array([]).stringValue == nil)
    }

    @Test func roundTripKeepsTypesAndEscapes() throws {
        let text = #"{"a":true,"b":1,"c":1.5,"d":"x\n\"y\" \u00e9\/","e":[null,{"f":-2e3}],"g":{}}"#
        let value = try JSONValue.decode(text)
        #expect(value["a"] == .bool(true))
        #expect(value["b"] == .int(1))
        #expect(value["c"] == .double(1.5))
        #expect(value["d"] == "x\n\"y\" é/")
        #expect(value["e"]?[1]?["f"] == .double(-2000))
        #expect(try JSONValue.decode(value.encodedString()) == value)
        #expect(try JSONValue.decode(value.encodedBytes()) == value)
        #expect(try JSONValue.decode(value.encoded()) == value)
    }

    /// One grammar for every caller (server bodies, Kubernetes objects, configuration values): RFC 8259.
    @Test(arguments: [
        "", " ", "{", "{\"a\":}", "{\"a\" 1}", "{a:1}", "[1,]", "[1 2]", "tru", "nul", "{\"a\":1}x", "01", "01x", "-01",
        "+1", "1.", ".5", "1e", "1e+", "-", "0x10", "NaN", "Infinity", "'a'", "\"\u{01}\"", "\"a\tb\"", "\"\\x\"",
        "\"\\u12\"", "\"\\ud800\\u0041\"", "\"abc", String(repeating: "[", count: 600),
    ])
    func malformedJSONIsRejected(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.decode(text) }
    }

    @Test func numbersIntegersExactDoublesOtherwise() throws {
        #expect(try JSONValue.decode("0") == .int(0))
        #expect(try JSONValue.decode("-0") == .int(0))
        #expect(try JSONValue.decode("-9223372036854775808") == .int(.min))
        #expect(try JSONValue.decode("9223372036854775807") == .int(.max))
        #expect(try JSONValue.decode("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try JSONValue.decode("123456789012345678") == .int(123_456_789_012_345_678))
        #expect(try JSONValue.decode("1.0") == .double(1))
        #expect(try JSONValue.decode("-2.5E-3") == .double(-0.0025))
    }

    @Test func nestingIsLimitedTo512() throws {
        _ = try JSONValue.decode(String(repeating: "[", count: 512) + String(repeating: "]", count: 512))
        #expect(throws: JSONParseError.self) {
            try JSONValue.decode(String(repeating: "[", count: 513) + String(repeating: "]", count: 513))
        }
    }

    /// Python's json.dumps writes lone surrogates as escapes; they read as U+FFFD rather than failing a request.
    @Test func unpairedSurrogatesReadAsReplacementCharacter() throws {
        #expect(try JSONValue.decode(#""a\ud800b""#) == "a\u{FFFD}b")
        #expect(try JSONValue.decode(#""\udc00""#) == "\u{FFFD}")
        #expect(try JSONValue.decode(#""\uD83D\uDE00""#) == "😀")
    }

    /// The escapes Python's `json.dumps(ensure_ascii=False)` writes; `/` and non-ASCII stay as they are.
    @Test func writerEscapesLikePython() throws {
        let text = "q\"b\\s/\u{08}\u{0C}\n\r\t\u{01}\u{1F}é😀"
        let expected = #""q\"b\\s/\b\f\n\r\t\u0001\u001fé😀""#
        #expect(JSONValue.string(text).encodedString() == expected)
        #expect(JSONValue.quote(text) == expected)
        #expect(JSONValue.quote("") == #""""#)
        #expect(try JSONValue.decode(expected) == .string(text))
    }

    @Test func writerKeepsDoublesDoublesAndSortsKeys() {
        #expect(JSONValue.double(150).encodedString() == "150.0")
        #expect(JSONValue.double(0.1).encodedString() == "0.1")
        #expect(JSONValue.double(1e16).encodedString() == "1e+16")
        #expect(JSONValue.double(-0.0).encodedString() == "-0.0")
        #expect(JSONValue.double(.nan).encodedString() == "null")
        #expect(JSONValue.double(.infinity).encodedString() == "null")
        #expect(JSONValue.int(-7).encodedString() == "-7")
        #expect((["b": 1, "a": ["d": nil, "c": false]] as JSONValue).encodedString() == #"{"a":{"c":false,"d":null},"b":1}"#)
    }

    @Test func strictAndLenientAccessors() {
        #expect(JSONValue.string("x").strictString == "x")
        #expect(JSONValue.int(7).strictString == nil)
        #expect(JSONValue.bool(true).strictString == nil)
        #expect(JSONValue.bool(true).stringValue == "true")
        #expect(JSONValue.double(1.5).stringValue == "1.5")

        #expect(JSONValue.string("true").boolValue == nil)
        for (value, expected) in [(JSONValue.bool(false), false), (.int(2), true), (.int(0), false), ("TRUE", true),
                                  ("yes", true), ("On", true), ("1", true), ("false", false), ("no", false),
                                  ("off", false), ("0", false), ("", false)] as [(JSONValue, Bool)] {
            #expect(value.lenientBool == expected, "\(value)")
        }
        #expect(JSONValue.string("maybe").lenientBool == nil)
        #expect(JSONValue.double(1).lenientBool == nil)
        #expect(JSONValue.null.lenientBool == nil)

        #expect(JSONValue.string("a").stringList == ["a"])
        #expect((["a", 1, "b", nil] as JSONValue).stringList == ["a", "b"])
        #expect(JSONValue.int(1).stringList == nil)

        #expect(JSONValue.string("1.5").doubleValue == 1.5)
        #expect(JSONValue.string("x").intValue == nil)
        #expect(JSONValue.double(.infinity).intValue == nil)
        #expect(JSONValue.double(.nan).intValue == nil)
    }

    @Test func conveniences() {
        #expect(JSONValue(nil as String?) == .null)
        #expect(JSONValue("a" as String?) == "a")
        #expect(JSONValue(["a", "b"]) == ["a", "b"])
        #expect(JSONValue(3) == .int(3))
    }

    /// `decode(_:visit:)` reports members as written (a dictionary cannot), a repeated key included.
    @Test func visitReportsDocumentOrder() throws {
        var events: [JSONValue.ReadEvent] = []
        let value = try JSONValue.decode(#"{"z": 1, "a": [true, {"m": null, "b": "x"}], "z": 2.5, "e": {}}"#) { events.append($0) }
        #expect(value == ["z": 2.5, "a": [true, ["m": nil, "b": "x"]], "e": [:]])
        #expect(events == [
            .objectStart, .key("z"), .scalar(1), .key("a"), .arrayStart, .scalar(true), .objectStart, .key("m"),
            .scalar(nil), .key("b"), .scalar("x"), .end, .end, .key("z"), .scalar(2.5), .key("e"), .objectStart, .end,
            .end,
        ])
        #expect(throws: JSONParseError.self) { try JSONValue.decode("[1, 02]") { _ in } }
    }
}
