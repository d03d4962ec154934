import ArgumentParser
import ClearMLAPI
import Foundation
import GlueCLI
import JSONValue
import Yams

/// `clearml-glue list`: the workers the server knows, printed as upstream `clearml-agent list` does
/// (the `workers.get_all` answer as YAML), or as JSON.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the workers registered with the ClearML server, with their queues and current task."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customLong("json"), help: "Print JSON instead of YAML.")
    var json = false

    func run() async throws {
        try global.bootstrapLogging()
        let session = try global.makeSession(retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(200), maxDelay: .seconds(1)))
        let workers = try await session.workers(lastSeen: 0)
        let answer: JSONValue = ["workers": .array(workers.map(\.document))]
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(answer), as: UTF8.self))
        } else {
            let encoder = YAMLEncoder()
            encoder.options = YAMLEncoder.Options(indent: 1, sortKeys: true)
            print(try encoder.encode(answer), terminator: "")
        }
    }
}
