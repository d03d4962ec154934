import Foundation
import Logging
import Testing
@testable import GlueLogging

@Suite struct LogLineFormatterTests {
    let date = Date(timeIntervalSince1970: 1_800_000_000.25)

    @Test func textLineCarriesLevelLabelMessageAndSortedMetadata() {
        let line = LogLineFormatter.format(.text, date: date, level: .info, label: "glue.scheduler",
                                           message: "pod created", metadata: ["task_id": "abc", "pod": "clearml-id-abc"])
        #expect(line.hasSuffix(" info glue.scheduler: pod created pod=clearml-id-abc task_id=abc\n"))
        #expect(line.hasPrefix("2027-01-15T08:00:00.250Z"))
    }

    @Test func multiLineMessagesAndValuesStayOnOneLine() {
        let line = LogLineFormatter.format(.text, date: date, level: .error, label: "x",
                                           message: "first\nsecond", metadata: ["reason": "a b\nc"])
        #expect(line.filter { $0 == "\n" }.count == 1)
        #expect(line.contains(#"first\nsecond"#))
        #expect(line.contains(#"reason="a b\nc""#))
    }

    @Test func jsonLineParsesBackWithEveryField() throws {
        let line = LogLineFormatter.format(.json, date: date, level: .warning, label: "glue",
                                           message: "pending \"Unschedulable\"\nmore",
                                           metadata: ["task_id": "t1", "attempt": .stringConvertible(3), "queues": ["a", "b"]])
        #expect(line.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "warning")
        #expect(object["logger"] as? String == "glue")
        #expect(object["msg"] as? String == "pending \"Unschedulable\"\nmore")
        #expect(object["task_id"] as? String == "t1")
        #expect(object["attempt"] as? String == "3")
        #expect(object["queues"] as? [String] == ["a", "b"])
        #expect(object["ts"] as? String == "2027-01-15T08:00:00.250Z")
    }

    @Test func metadataCannotOverwriteTheFixedJSONFields() throws {
        let line = LogLineFormatter.format(.json, date: date, level: .info, label: "glue", message: "real", metadata: ["msg": "fake"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["msg"] as? String == "real")
    }
}

@Suite struct LogLevelTests {
    @Test(arguments: [
        ("trace", Logger.Level.trace), ("DEBUG", .debug), ("Info", .info), ("notice", .notice),
        ("WARN", .warning), ("warning", .warning), ("ERROR", .error), ("critical", .critical), ("FATAL", .critical),
    ])
    func acceptsSwiftAndPythonNames(raw: String, level: Logger.Level) throws {
        #expect(try Logger.Level(parsing: raw, source: "test") == level)
    }

    @Test func unknownLevelNamesItsSourceAndTheChoices() {
        #expect {
            try LoggingBootstrap.resolveLevel(flag: nil, environment: ["CLEARML_LOG_LEVEL": "loud"])
        } throws: { error in
            let text = "\(error)"
            return text.contains("'loud'") && text.contains("CLEARML_LOG_LEVEL") && text.contains("warning")
        }
    }

    @Test func flagWinsOverEnvironmentWhichWinsOverDefault() throws {
        #expect(try LoggingBootstrap.resolveLevel(flag: "error", environment: ["CLEARML_LOG_LEVEL": "debug"]) == .error)
        #expect(try LoggingBootstrap.resolveLevel(flag: nil, environment: ["CLEARML_LOG_LEVEL": "debug"]) == .debug)
        #expect(try LoggingBootstrap.resolveLevel(flag: nil, environment: [:]) == .info)
    }

    @Test func unknownFormatIsRejected() throws {
        #expect(throws: LoggingConfigurationError.self) { try LogFormat(parsing: "xml", source: "--log-format") }
        #expect(try LogFormat(parsing: "JSON", source: "--log-format") == .json)
    }
}

@Suite struct LineLogHandlerTests {
    @Test func oneLinePerEventWithLoggerAndEventMetadataBelowTheLevelDropped() {
        let sink = LogSink.inMemory()
        var logger = Logger(label: "glue") { LineLogHandler(label: $0, level: .info, format: .text, sink: sink) }
        logger[metadataKey: "queue"] = "gpu"
        logger.debug("hidden")
        logger.info("dispatched", metadata: ["task_id": "t9"])
        #expect(sink.lines.count == 1)
        #expect(sink.lines.first?.hasSuffix("info glue: dispatched queue=gpu task_id=t9\n") == true)
    }
}
