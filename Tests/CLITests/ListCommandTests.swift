import Foundation
import GlueTestSupport
import Testing

@Suite("clearml-glue list (built binary)", .timeLimit(.minutes(3)))
struct ListCommandTests {
    static let trace = FixtureServer.fixtures.appendingPathComponent("traces/02-agent-list.jsonl").path

    @Test func printsTheServersWorkerListAsYAMLAndJSON() async throws {
        let server = try await FixtureServer.startPython("clearml_replay_server.py", ["--trace", Self.trace])
        let home = try TemporaryHome()
        let environment = home.environment([
            "CLEARML_API_HOST": "http://127.0.0.1:\(server.port)", "CLEARML_API_ACCESS_KEY": "AK", "CLEARML_API_SECRET_KEY": "SK",
        ])
        let yaml = try CLIRunner.run(["list"], environment: environment)
        #expect(yaml.status == 0, "\(yaml)")
        #expect(yaml.stdout == "workers: []\n")
        let json = try CLIRunner.run(["list", "--json"], environment: environment)
        #expect(json.status == 0, "\(json)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["workers"] as? [Any])?.isEmpty == true)
    }

    @Test func aDownServerEndsWithOneClearMessage() throws {
        let home = try TemporaryHome()
        let closed = try ClosedLoopbackPort()
        defer { withExtendedLifetime(closed) {} }
        let result = try CLIRunner.run(["list"], environment: home.environment([
            "CLEARML_API_HOST": "http://127.0.0.1:\(closed.port)", "CLEARML_API_ACCESS_KEY": "AK", "CLEARML_API_SECRET_KEY": "TOPSECRET",
        ]))
        #expect(result.status != 0)
        #expect(result.stderr.contains("is the ClearML server up"), "\(result)")
        #expect(!result.stderr.contains("TOPSECRET"))
        #expect(!result.stderr.contains("Fatal error"))
    }

    @Test func missingCredentialsSayWhatToSet() throws {
        let home = try TemporaryHome()
        let result = try CLIRunner.run(["list"], environment: home.environment())
        #expect(result.status != 0)
        #expect(result.stderr.contains("CLEARML_API_ACCESS_KEY"), "\(result)")
    }
}
