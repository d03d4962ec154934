import ClearMLConfig
import Testing

@Suite("Secret masking and rendering")
struct SecretMaskingTests {
    @Test(arguments: [
        ("secret_key", true), ("git_pass", true), ("password", true), ("db_password", true), ("auth_token", true),
        ("SECRET", true), ("account_key", true), ("private_key", true),
        ("access_key", false), ("git_user", false), ("worker_id", false), ("key", false), ("extra_keys", false),
    ])
    func secretKeyNames(_ key: String, _ secret: Bool) {
        #expect(SecretMasking.isSecretKey(key) == secret)
    }

    @Test func masksNestedListsAndURLs() throws {
        let root = try parse("""
        agent { git_pass: "p1", git { extra_credentials: [{user: u, pass: "p2", host: h}] } }
        sdk.aws.s3.credentials: [{ bucket: b, key: k, secret: "p3" }]
        token_list: ["p4", 5]
        empty_pass: ""
        use_token: true
        index: "https://user:p5@pypi.example.com/simple"
        """)
        let masked = ConfigRenderer.inlineJSON(.object(SecretMasking.masked(root)))
        for secret in ["p1", "p2", "p3", "p4", "p5"] { #expect(!masked.contains(secret), "\(secret) in \(masked)") }
        #expect(masked.contains(#""empty_pass": """#))
        #expect(masked.contains(#""use_token": true"#))
        #expect(masked.contains("https://user:********@pypi.example.com/simple"))
        #expect(masked.contains(#""user": "u""#))
    }

    /// A secret set in the file, in a fixed environment variable and in a dynamic one never reaches the output,
    /// in either format, with or without sources.
    @Test func secretsFromEverySourceNeverPrinted() throws {
        let files = ["/h/clearml.conf": "api.credentials.secret_key = FILE-SECRET-1\nagent.git_pass = FILE-SECRET-2\nsdk.aws.s3.secret = FILE-SECRET-3"]
        let environment = [
            "CLEARML_API_SECRET_KEY": "ENV-SECRET-4",
            "CLEARML_AGENT__AGENT__GIT_PASS": "DYN-SECRET-5",
            "CLEARML_AGENT__AGENT__GIT": #"{"extra_credentials": [{"user": "x", "pass": "DYN-SECRET-6"}]}"#,
            "CLEARML_AUTH_TOKEN": "ENV-SECRET-7",
        ]
        let loader = ConfigLoader(environment: environment, homeDirectory: "/h", readFile: { files[$0] }, fileExists: { files[$0] != nil })
        let config = try loader.load()
        #expect(try config.string("api.credentials.secret_key") == "ENV-SECRET-4")
        for showSources in [false, true] {
            let options = ConfigRenderer.Options(showSources: showSources)
            for output in [ConfigRenderer.hocon(config.root, options: options), ConfigRenderer.json(config.root, options: options)] {
                #expect(!output.contains("-SECRET-"), "\(output)")
                #expect(output.contains("********"))
            }
        }
        let withSources = ConfigRenderer.hocon(config.root, options: .init(showSources: true))
        #expect(withSources.contains(#"secret_key: "********"  # env CLEARML_API_SECRET_KEY"#))
        #expect(withSources.contains(#"git_pass: "********"  # env CLEARML_AGENT__AGENT__GIT_PASS"#))
    }

    @Test func hoconWithSourcesAndNotes() throws {
        let environment = ["CLEARML_AGENT_EXTRA_DOCKER_ARGS": "--ipc=host", "CLEARML_API_HOST": "https://api.x"]
        let files = ["/h/clearml.conf": "agent {\n  worker_name: w\n}"]
        let loader = ConfigLoader(environment: environment, homeDirectory: "/h", flagOverrides: ["agent.worker_id": .string("f")],
                                  readFile: { files[$0] }, fileExists: { files[$0] != nil })
        let text = ConfigRenderer.hocon(try loader.load().root, options: .init(showSources: true))
        #expect(text.contains(#"    api_server: "https://api.x"  # env CLEARML_API_HOST"#))
        #expect(text.contains(#"    web_server: "http://localhost:8080"  # default"#))
        #expect(text.contains(#"    worker_name: "w"  # /h/clearml.conf:2"#))
        #expect(text.contains(#"    worker_id: "f"  # flag agent.worker_id"#))
        #expect(text.contains(#"extra_docker_arguments: ["--ipc=host"]  # env CLEARML_AGENT_EXTRA_DOCKER_ARGS (docker mode only; ignored by the glue)"#))
    }

    @Test func jsonWithSourcesWrapsLeaves() throws {
        let root = try parse("a { b = 1, c = [x] }\nd {}", file: "/f.conf")
        let text = ConfigRenderer.json(root, options: .init(showSources: true, indent: "  "))
        #expect(text == """
        {
          "a": {
            "b": {"value": 1, "source": "/f.conf:1"},
            "c": {"value": ["x"], "source": "/f.conf:1"}
          },
          "d": {}
        }

        """)
    }

    @Test func plainJSONIsOrderedAndTyped() throws {
        let root = try parse("z = 1\na = { t = true, n = null, s = \"q\\\"\" , d = 1.5 }")
        #expect(ConfigRenderer.json(root) == """
        {
          "z": 1,
          "a": {
            "t": true,
            "n": null,
            "s": "q\\"",
            "d": 1.5
          }
        }

        """)
    }
}
