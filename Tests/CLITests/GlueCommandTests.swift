import Foundation
import GlueTestSupport
import Testing

/// `glue` refuses bad input at start with what, where and how to fix; the binary answers as `clearml-agent`.
@Suite("clearml-glue glue and the clearml-agent name (built binary)")
struct GlueCommandTests {
    static let base = ["glue", "--agent-image", "example/clearml-glue:1", "--credentials-secret", "creds", "--metrics-address", "off"]

    @Test(arguments: [
        ([] as [String], "no queue to serve"),
        (["--queue", "q", "--ports-mode"], "--ports-mode"),
        (["--queue", "q", "--uptime", "17-20", "--downtime", "9-10"], "not both"),
        (["--queue", "q", "--uptime", "25-26 TUE"], "--uptime '25-26 TUE'"),
        (["--queue", "q", "--template-yaml", "/nonexistent/pod.yaml"], "--template-yaml /nonexistent/pod.yaml: cannot read the file"),
        (["--queue", "q", "--agent-mode", "docker"], "--agent-mode 'docker'"),
        (["--queue", "q", "--metrics-address", "nowhere"], "--metrics-address 'nowhere'"),
        (["--queue", "q=2", "--dynamic-gpus", "--queue", "r=x"], "name=N"),
    ])
    func badInputStopsAtStart(extra: [String], expected: String) throws {
        let home = try TemporaryHome()
        let result = try CLIRunner.run(Self.base + extra, environment: home.environment())
        #expect(result.status != 0)
        #expect(result.stderr.contains(expected), "\(result)")
    }

    @Test func taskPodsWithoutACredentialsSecretAreRefused() throws {
        let home = try TemporaryHome()
        let result = try CLIRunner.run(["glue", "--queue", "q", "--agent-image", "x/y:1", "--metrics-address", "off"], environment: home.environment())
        #expect(result.status != 0)
        #expect(result.stderr.contains("--credentials-secret"), "\(result)")
    }

    @Test func queueConfigErrorsNameTheFileAndTheKey() throws {
        let home = try TemporaryHome()
        try home.write("queues.yaml", "queues:\n  q:\n    maxpods: 3\n")
        let result = try CLIRunner.run(Self.base + ["--queue", "q", "--queue-config", home.file("queues.yaml")], environment: home.environment())
        #expect(result.status != 0)
        #expect(result.stderr.contains("queues.q.maxpods is not a setting"), "\(result)")
    }

    @Test func answersAsClearMLAgentWithUpstreamGlobalOptionsFirst() throws {
        let home = try TemporaryHome()
        try home.write("agent.conf", "agent.worker_name = from-upstream-style-flags\n")
        let link = home.file("clearml-agent")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: try GlueBinary.path())
        let result = try CLIRunner.run(["--config-file", home.file("agent.conf"), "--debug", "config", "--json"],
                                       environment: home.environment(), executable: link)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("from-upstream-style-flags"))
    }
}

extension GlueCommandTests {
    @Test func clearMLServerDownStopsAtStartWithTheServerNamed() throws {
        let home = try TemporaryHome()
        let closed = try ClosedLoopbackPort()
        defer { withExtendedLifetime(closed) {} }
        let port = closed.port
        try home.write("kubeconfig", """
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "https://127.0.0.1:\(port)"}}]
            users: [{name: u, user: {token: t}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            current-context: x

            """)
        let environment = home.environment(["CLEARML_API_HOST": "http://127.0.0.1:\(port)", "CLEARML_API_ACCESS_KEY": "a", "CLEARML_API_SECRET_KEY": "b"])
        let result = try CLIRunner.run(Self.base + ["--queue", "q", "--kubeconfig", home.file("kubeconfig")], environment: environment, timeout: 90)
        #expect(result.status != 0)
        #expect(result.stderr.contains("127.0.0.1:\(port)") && result.stderr.contains("is the ClearML server up"), "\(result)")
        #expect(!result.stderr.contains("secret_key") && !result.stderr.contains("\"b\""))
    }
}
