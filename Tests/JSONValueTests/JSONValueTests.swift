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
}
