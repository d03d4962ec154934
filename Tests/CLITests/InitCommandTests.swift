import Foundation
import Testing

@Suite("clearml-glue init (built binary)")
struct InitCommandTests {
    /// The block the web UI copies, as a user pastes it.
    static let paste = """
    api {
      web_server: https://app.clear.ml/
      api_server: https://api.clear.ml
      files_server: https://files.clear.ml
      credentials {
        "access_key" = "AKPASTED12345"
        "secret_key" = "PASTED-SECRET-xyz"
      }
    }

    """

    static func effectiveJSON(_ home: TemporaryHome, _ extra: [String] = []) throws -> [String: Any] {
        let result = try CLIRunner.run(["config", "--json"] + extra, environment: home.environment())
        #expect(result.status == 0, "\(result)")
        return try ConfigCommandTests.jsonObject(result.stdout)
    }

    @Test func nonInteractiveWithFlags() throws {
        let home = try TemporaryHome()
        let result = try CLIRunner.run([
            "init", "--non-interactive", "--api-server", "http://clearml.local:8008", "--access-key", "AK1",
            "--secret-key", "FLAG-SECRET-1", "--git-user", "bot", "--git-pass", "FLAG-SECRET-2",
            "--extra-index-url", "https://a/simple", "--extra-index-url", "https://b/simple",
        ], environment: home.environment())
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("New configuration stored in \(home.file("clearml.conf"))"))
        #expect(!result.stdout.contains("FLAG-SECRET"))
        let text = try home.read("clearml.conf")
        #expect(text.contains("agent {"))
        let permissions = try FileManager.default.attributesOfItem(atPath: home.file("clearml.conf"))[.posixPermissions] as? Int
        #expect(permissions == 0o600)

        // Our own parser reads it back, through the real binary.
        let json = try Self.effectiveJSON(home, ["--show-sources"])
        func value(_ path: String) -> Any? { (ConfigCommandTests.leaf(json, path) as? [String: Any])?["value"] }
        func source(_ path: String) -> String? { (ConfigCommandTests.leaf(json, path) as? [String: Any])?["source"] as? String }
        #expect(value("api.api_server") as? String == "http://clearml.local:8008")
        #expect(value("api.web_server") as? String == "http://clearml.local:8080")
        #expect(value("api.files_server") as? String == "http://clearml.local:8081")
        #expect(value("api.credentials.access_key") as? String == "AK1")
        #expect(value("agent.git_user") as? String == "bot")
        #expect(value("agent.package_manager.extra_index_url") as? [String] == ["https://a/simple", "https://b/simple"])
        #expect(source("agent.git_user")?.hasPrefix(home.file("clearml.conf") + ":") == true)
        #expect(text.contains("FLAG-SECRET-1") && text.contains("FLAG-SECRET-2"))
    }

    @Test func impliedNonInteractiveWhenStdinIsNotATerminal() throws {
        let home = try TemporaryHome()
        let result = try CLIRunner.run(["init", "--api-server", "https://api.clear.ml", "--access-key", "A", "--secret-key", "S",
                                        "--output", home.file("out.conf")], environment: home.environment())
        #expect(result.status == 0, "\(result)")
        #expect(!result.stdout.contains("Paste"))
        #expect(try home.read("out.conf").contains(#"files_server: "https://files.clear.ml""#))
    }

    @Test func refusesToOverwrite() throws {
        let home = try TemporaryHome()
        try home.write("clearml.conf", "api.api_server = \"https://mine\"\n")
        let result = try CLIRunner.run(["init", "--non-interactive", "--api-server", "https://x", "--access-key", "A", "--secret-key", "S"],
                                       environment: home.environment())
        #expect(result.status != 0)
        #expect(!result.looksLikeACrash, "\(result)")
        #expect(result.stderr.contains("\(home.file("clearml.conf")): configuration file already exists"), "\(result)")
        #expect(result.stderr.contains("clearml-glue init --output"))
        #expect(result.stderr.contains("agent"))
        #expect(try home.read("clearml.conf") == "api.api_server = \"https://mine\"\n")
    }

    @Test func nonInteractiveNamesMissingFlags() throws {
        let home = try TemporaryHome()
        let result = try CLIRunner.run(["init", "--non-interactive", "--access-key", "A"], environment: home.environment())
        #expect(result.status != 0)
        #expect(result.stderr.contains("--secret-key") && result.stderr.contains("--api-server"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: home.file("clearml.conf")))
    }

    @Test func badURLFlagIsNamed() throws {
        let home = try TemporaryHome()
        let result = try CLIRunner.run(["init", "--non-interactive", "--api-server", "api.clear.ml", "--access-key", "A", "--secret-key", "S"],
                                       environment: home.environment())
        #expect(result.status != 0)
        #expect(result.stderr.contains("--api-server: 'api.clear.ml' is not an http:// or https:// URL"), "\(result)")
    }

    @Test func unwritableOutputIsAClearError() throws {
        let home = try TemporaryHome()
        let target = home.file("no-such-dir/clearml.conf")
        let result = try CLIRunner.run(["init", "--non-interactive", "--api-server", "https://x.y", "--access-key", "A", "--secret-key", "S",
                                        "--output", target], environment: home.environment())
        #expect(result.status != 0)
        #expect(!result.looksLikeACrash, "\(result)")
        #expect(result.stderr.contains("\(target): cannot create the configuration file"), "\(result)")
    }

    @Test func answersPipedOnStdin() throws {
        let home = try TemporaryHome()
        let answers = Self.paste + "\n\n\n\n\n"
        let result = try CLIRunner.run(["init"], environment: home.environment(), stdin: answers)
        #expect(result.status == 0, "\(result)")
        let text = try home.read("clearml.conf")
        #expect(text.contains(#""access_key" = "AKPASTED12345""#))
        #expect(text.contains(#"git_user: """#))
        #expect(!result.stdout.contains("PASTED-SECRET"))
    }

    @Test func pipedInputThatEndsEarlyFailsClearly() throws {
        let home = try TemporaryHome()
        let result = try CLIRunner.run(["init"], environment: home.environment(), stdin: "")
        #expect(result.status != 0)
        #expect(!result.looksLikeACrash, "\(result)")
        #expect(result.stderr.contains("input ended before the credentials were pasted"), "\(result)")
    }

    /// The wizard as a user sees it: prompts in seed 000/001 order, answers typed in a terminal.
    @Test func interactiveThroughAPseudoTerminal() throws {
        let home = try TemporaryHome()
        let session = try PseudoTerminalSession(["init"], environment: home.environment())
        try session.expect("Paste copied configuration here:")
        session.send(Self.paste)
        try session.expect("Detected credentials key=\"AKPA")
        try session.expect("WEB Host configured to: [https://app.clear.ml]")
        session.send("\n")
        try session.expect("API Host configured to: [https://api.clear.ml]")
        session.send("\n")
        try session.expect("File Store Host configured to: [https://files.clear.ml]")
        session.send("not a url\n")
        try session.expect("is not an http:// or https:// URL")
        try session.expect("File Store Host configured to: [https://files.clear.ml]")
        session.send("https://files.example.com/\n")
        try session.expect("File Store: https://files.example.com")
        try session.expect("Enter git username for repository cloning (leave blank for SSH key authentication): []")
        session.send("git-bot\n")
        try session.expect("Enter password for user 'git-bot':")
        session.send("TYPED-GIT-PASSWORD\n")
        try session.expect("Git repository cloning will be using user=git-bot password=********")
        try session.expect("Enter additional artifact repository (extra-index-url)")
        session.send("https://pypi.example/simple\n")
        try session.expect("New configuration stored in \(home.file("clearml.conf"))")
        try session.expect("setup completed successfully")
        #expect(try session.waitForExit() == 0, "\(session.transcript)")

        // The password was typed with echo off, and nothing after the paste shows the secret key.
        #expect(!session.transcript.contains("TYPED-GIT-PASSWORD"), "\(session.transcript)")
        let afterPaste = session.transcript.components(separatedBy: "Detected credentials").last ?? ""
        #expect(!afterPaste.contains("PASTED-SECRET"), "\(session.transcript)")

        let text = try home.read("clearml.conf")
        #expect(text.contains(#"files_server: "https://files.example.com""#))
        #expect(text.contains(#"git_pass: "TYPED-GIT-PASSWORD""#))
        #expect(text.contains(#"extra_index_url: ["https://pypi.example/simple"]"#))
        let json = try Self.effectiveJSON(home)
        #expect(ConfigCommandTests.leaf(json, "api.credentials.access_key") as? String == "AKPASTED12345")
        #expect(ConfigCommandTests.leaf(json, "agent.git_user") as? String == "git-bot")
    }

    @Test func interactiveRefusesExistingFileBeforeAsking() throws {
        let home = try TemporaryHome()
        try home.write("clearml.conf", "api {}\n")
        let session = try PseudoTerminalSession(["init"], environment: home.environment())
        try session.expect("already exists")
        #expect(try session.waitForExit() != 0)
        #expect(!session.transcript.contains("Paste copied configuration"))
    }

    @Test func flagsSkipTheirQuestionsInATerminal() throws {
        let home = try TemporaryHome()
        let session = try PseudoTerminalSession(["init", "--access-key", "AK", "--secret-key", "SK", "--api-server", "http://h:8008",
                                                 "--git-user", "", "--extra-index-url", "https://x/simple"],
                                                environment: home.environment())
        try session.expect("WEB Host configured to: [http://h:8080]")
        session.send("\n")
        try session.expect("File Store Host configured to: [http://h:8081]")
        session.send("\n")
        try session.expect("setup completed successfully")
        #expect(try session.waitForExit() == 0)
        #expect(!session.transcript.contains("Paste copied configuration"))
        #expect(!session.transcript.contains("API Host configured to"))
        #expect(!session.transcript.contains("Enter git username"))
        #expect(try home.read("clearml.conf").contains(#"extra_index_url: ["https://x/simple"]"#))
    }
}
