import Foundation
import Testing

@Suite("clearml-glue config (built binary)")
struct ConfigCommandTests {
    static func jsonObject(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func leaf(_ object: [String: Any], _ path: String) -> Any? {
        var current: Any? = object
        for key in path.split(separator: ".") { current = (current as? [String: Any])?[String(key)] }
        return current
    }

    @Test func defaultsAsJSON() throws {
        let home = try TemporaryHome()
        let result = try CLIRunner.run(["config", "--json"], environment: home.environment())
        #expect(result.status == 0, "\(result)")
        let json = try Self.jsonObject(result.stdout)
        #expect(Self.leaf(json, "api.api_server") as? String == "http://localhost:8008")
        #expect(Self.leaf(json, "api.files_server") as? String == "http://localhost:8081")
        #expect(Self.leaf(json, "k8s_glue.start_agent_script_path") as? String == "~/__start_agent__.sh")
        #expect(Self.leaf(json, "k8s_glue.pod_monitor_eviction_reasons") as? [String] == ["ImagePullBackOff", "InvalidImageName"])
    }

    @Test func sourcesFromFlagEnvironmentFileAndDefaults() throws {
        let home = try TemporaryHome()
        try home.write("clearml.conf", "api {\n  web_server: \"https://web.file\"\n}\nagent.worker_name = from-file\n")
        let environment = home.environment(["CLEARML_API_HOST": "https://api.env", "K8S_GLUE_MAX_PODS": "3",
                                            "CLEARML_AGENT__AGENT__PACKAGE_MANAGER__TYPE": "uv", "CLEARML_DOCKER_SKIP_GPUS_FLAG": "1"])
        let result = try CLIRunner.run(["config", "--show-sources", "--set", "agent.worker_id=from-flag"], environment: environment)
        #expect(result.status == 0, "\(result)")
        let conf = home.file("clearml.conf")
        for line in [
            #"api_server: "https://api.env"  # env CLEARML_API_HOST"#,
            #"web_server: "https://web.file"  # \#(conf):2"#,
            #"files_server: "http://localhost:8081"  # default"#,
            #"worker_id: "from-flag"  # flag --set agent.worker_id"#,
            #"worker_name: "from-file"  # \#(conf):4"#,
            #"type: "uv"  # env CLEARML_AGENT__AGENT__PACKAGE_MANAGER__TYPE"#,
            #"max_pods: 3  # env K8S_GLUE_MAX_PODS"#,
            #"docker_skip_gpus_flag: true  # env CLEARML_DOCKER_SKIP_GPUS_FLAG (docker mode only; ignored by the glue)"#,
            "# configuration file: \(conf) (default location)",
        ] {
            #expect(result.stdout.contains(line), "missing: \(line)\n\(result.stdout)")
        }

        let json = try CLIRunner.run(["config", "--json", "--show-sources"], environment: environment)
        let object = try Self.jsonObject(json.stdout)
        let wrapped = try #require(Self.leaf(object, "api.api_server") as? [String: Any])
        #expect(wrapped["value"] as? String == "https://api.env")
        #expect(wrapped["source"] as? String == "env CLEARML_API_HOST")
    }

    @Test func flagAndEnvironmentChooseTheFile() throws {
        let home = try TemporaryHome()
        try home.write("clearml.conf", "agent.worker_id = home")
        try home.write("env.conf", "agent.worker_id = env")
        try home.write("flag.conf", "agent.worker_id = flag")
        let environment = home.environment(["CLEARML_CONFIG_FILE": home.file("env.conf")])
        let viaEnv = try CLIRunner.run(["config", "--json"], environment: environment)
        #expect(Self.leaf(try Self.jsonObject(viaEnv.stdout), "agent.worker_id") as? String == "env")
        let viaFlag = try CLIRunner.run(["config", "--json", "--config-file", home.file("flag.conf")], environment: environment)
        #expect(Self.leaf(try Self.jsonObject(viaFlag.stdout), "agent.worker_id") as? String == "flag")
    }

    @Test func secretsAreNeverPrinted() throws {
        let home = try TemporaryHome()
        try home.write("clearml.conf", """
        api.credentials { access_key: "AK-VISIBLE", secret_key: "FILE-SECRET-1" }
        agent { git_pass: "FILE-SECRET-2" }
        agent.package_manager.extra_index_url: ["https://bot:FILE-SECRET-3@pypi.example/simple"]
        """)
        let environment = home.environment([
            "CLEARML_AGENT_GIT_PASS": "ENV-SECRET-4",
            "CLEARML_AUTH_TOKEN": "ENV-SECRET-5",
            "CLEARML_AGENT__SDK__AWS__S3__SECRET": "DYN-SECRET-6",
        ])
        for arguments in [["config"], ["config", "--json"], ["config", "--show-sources"], ["config", "--json", "--show-sources"]] {
            let result = try CLIRunner.run(arguments, environment: environment)
            #expect(result.status == 0, "\(result)")
            #expect(!result.stdout.contains("-SECRET-"), "\(arguments): \(result.stdout)")
            #expect(!result.stderr.contains("-SECRET-"))
            #expect(result.stdout.contains("AK-VISIBLE"))
            #expect(result.stdout.contains("********"))
        }
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        let label: String
        let arguments: [String]
        let environment: [String: String]
        let file: String?
        /// Fragments the one error message must contain; "$HOME" is replaced by the temporary home.
        let fragments: [String]
        var testDescription: String { label }
    }

    static let badInputs: [BadInput] = [
        BadInput(label: "malformed clearml.conf", arguments: ["config"], environment: [:],
                 file: "api {\n  api_server: \"https://x\"\n  credentials {\n    access_key: k\n}\n",
                 fragments: ["$HOME/clearml.conf:6:1:", "expected '}' to close object opened at line 1", "unbalanced brace"]),
        BadInput(label: "bad boolean in env", arguments: ["config"], environment: ["CLEARML_AGENT_FORCE_UV": "maybe"], file: nil,
                 fragments: ["CLEARML_AGENT_FORCE_UV", "'maybe' is not a boolean", "1/true/yes/on or 0/false/no/off"]),
        BadInput(label: "unknown log level", arguments: ["config", "--log-level", "bogus"], environment: [:], file: nil,
                 fragments: ["bogus", "--log-level"]),
        BadInput(label: "unreadable CA file", arguments: ["config"], environment: ["CLEARML_API_HOST_VERIFY_CERT": "~/missing-ca.pem"], file: nil,
                 fragments: ["CLEARML_API_HOST_VERIFY_CERT", "$HOME/missing-ca.pem", "cannot be read"]),
        BadInput(label: "missing CLEARML_CONFIG_FILE", arguments: ["config"], environment: ["CLEARML_CONFIG_FILE": "~/nope.conf"], file: nil,
                 fragments: ["$HOME/nope.conf", "does not exist", "CLEARML_CONFIG_FILE"]),
        BadInput(label: "missing --config-file", arguments: ["config", "--config-file", "/nonexistent/c.conf"], environment: [:], file: nil,
                 fragments: ["/nonexistent/c.conf", "does not exist", "--config-file"]),
        BadInput(label: "bad value type in file", arguments: ["config"], environment: [:], file: "k8s_glue {\n  max_pods: lots\n}\n",
                 fragments: ["$HOME/clearml.conf:2:", "k8s_glue.max_pods must be a whole number"]),
        BadInput(label: "bad --set", arguments: ["config", "--set", "no-equals-sign"], environment: [:], file: nil,
                 fragments: ["--set", "PATH=VALUE"]),
    ]

    @Test(arguments: badInputs)
    func badInputGivesOneClearMessage(_ input: BadInput) throws {
        let home = try TemporaryHome()
        if let file = input.file { try home.write("clearml.conf", file) }
        // "~" stays as written: the binary must expand it against HOME itself.
        let environment = home.environment(input.environment)
        let result = try CLIRunner.run(input.arguments, environment: environment)
        #expect(result.status != 0, "\(result)")
        #expect(!result.looksLikeACrash, "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
        let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        for fragment in input.fragments {
            let expected = fragment.replacingOccurrences(of: "$HOME", with: home.path)
            #expect(message.contains(expected), "missing '\(expected)' in:\n\(result)")
        }
        #expect(message.split(separator: "\n").count <= 3, "expected one message:\n\(message)")
    }
}
