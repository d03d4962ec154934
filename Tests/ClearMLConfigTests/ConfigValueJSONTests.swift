import ClearMLConfig
import Testing

/// `ConfigValue(json:source:)`: how environment values and `--set` flags are typed.
@Suite struct ConfigValueJSONTests {
    let source = ConfigSource.environment(name: "X")

    @Test func objectsKeepTheirWrittenOrderAndEveryNodeItsSource() throws {
        let value = try #require(ConfigValue(json: #" {"z": 1, "a": {"y": [2, "t"], "b": null}, "m": -0.5} "#, source: source))
        #expect(value.objectValue?.keys == ["z", "a", "m"])
        #expect(value.objectValue?["a"]?.objectValue?.keys == ["y", "b"])
        #expect(ConfigRenderer.inlineJSON(value) == #"{"z": 1, "a": {"y": [2, "t"], "b": null}, "m": -0.5}"#)
        #expect(value.objectValue?["a"]?.objectValue?["y"]?.arrayValue?[1].source == source)
        #expect(value.source == source)
    }

    /// A repeated key keeps its first place and takes the last value.
    @Test func repeatedKeyKeepsFirstPlaceLastValue() throws {
        let value = try #require(ConfigValue(json: #"{"a": {"x": 1}, "b": 2, "a": {"y": 3}}"#, source: source))
        #expect(ConfigRenderer.inlineJSON(value) == #"{"a": {"y": 3}, "b": 2}"#)
    }

    @Test func scalarsAndText() {
        #expect(ConfigValue(json: "3", source: source) == .int(3, source: source))
        #expect(ConfigValue(json: "2.0", source: source) == .double(2, source: source))
        #expect(ConfigValue(json: "true", source: source) == .bool(true, source: source))
        #expect(ConfigValue(json: "null", source: source) == .null(source: source))
        #expect(ConfigValue(json: #""q\"""#, source: source) == .string("q\"", source: source))
        for text in ["", "True", "0755", "+1", "1.", "{", #"{"a": 1} x"#, "[1,]", "s3://bucket", #""a\qb""#] {
            #expect(ConfigValue(json: text, source: source) == nil, "\(text)")
        }
    }
}
