import ClearMLConfig
import Testing

@Suite("init wizard logic")
struct InitWizardTests {
    /// The block the web UI's "Copy to clipboard" produces.
    static let paste = """
    api {
      web_server: https://app.clear.ml/
      api_server: https://api.clear.ml
      files_server: https://files.clear.ml
      credentials {
        "access_key" = "AKWEBUI1234"
        "secret_key" = "s3cr3t#with$chars\\"quote"
      }
    }
    """

    @Test func parsesWebUIPaste() throws {
        let credentials = try InitWizard.parseCredentials(Self.paste)
        #expect(credentials == InitWizard.Credentials(accessKey: "AKWEBUI1234", secretKey: "s3cr3t#with$chars\"quote",
                                                      apiServer: "https://api.clear.ml", webServer: "https://app.clear.ml",
                                                      filesServer: "https://files.clear.ml"))
    }

    @Test func parsesCredentialsWithoutApiWrapper() throws {
        let credentials = try InitWizard.parseCredentials(#"credentials {"access_key": "A", "secret_key": "S"}"#)
        #expect(credentials.accessKey == "A" && credentials.secretKey == "S" && credentials.apiServer == nil)
    }

    @Test func rejectsTextWithoutKeys() {
        let error = configError { _ = try InitWizard.parseCredentials("api { api_server: https://x }") }
        #expect(error?.kind == .missingValue)
        #expect(error?.description.contains("Create new credentials") == true)
        let syntax = configError { _ = try InitWizard.parseCredentials("api { credentials { ") }
        #expect(syntax?.description.hasPrefix("pasted text:1:21: the pasted text is not a credentials block") == true, "\(syntax?.description ?? "")")
    }

    @Test func pasteCompletion() {
        let lines = Self.paste.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for count in 1..<lines.count {
            #expect(!InitWizard.pasteIsComplete(lines.prefix(count).joined(separator: "\n")), "\(count) lines")
        }
        #expect(InitWizard.pasteIsComplete(Self.paste))
        #expect(InitWizard.pasteIsComplete(#"credentials {"access_key": "{", "secret_key": "}}"} # {"#))
        #expect(!InitWizard.pasteIsComplete("   "))
    }

    @Test(arguments: [
        ("https://api.clear.ml", "https://app.clear.ml", "https://files.clear.ml"),
        ("https://api.example.com:8443", "https://app.example.com:8443", "https://files.example.com:8443"),
        ("http://host:8008", "http://host:8080", "http://host:8081"),
        ("http://10.0.0.5:8008/", "http://10.0.0.5:8080", "http://10.0.0.5:8081"),
        ("https://demoapi.demo.clear.ml", "https://demoapp.demo.clear.ml", "https://demofiles.demo.clear.ml"),
        ("https://clearml.corp/api", "https://clearml.corp/api", "https://clearml.corp/api"),
    ])
    func derivesServersFromAPI(_ api: String, _ web: String, _ files: String) {
        let derived = InitWizard.servers(derivedFromAPI: api)
        #expect(derived.web == web)
        #expect(derived.files == files)
    }

    @Test(arguments: [
        ("https://app.clear.ml", "https://api.clear.ml"),
        ("http://host:8080", "http://host:8008"),
        ("https://ml.corp", "https://ml.corp"),
    ])
    func derivesAPIFromWeb(_ web: String, _ api: String) {
        #expect(InitWizard.apiServer(derivedFromWeb: web) == api)
    }

    @Test func validatesURLs() throws {
        #expect(try InitWizard.validatedURL(" https://x/ ", for: "API host") == "https://x")
        let error = configError { _ = try InitWizard.validatedURL("api.clear.ml", for: "API host") }
        #expect(error?.description.hasPrefix("API host: 'api.clear.ml' is not an http:// or https:// URL") == true)
    }

    @Test func renderedFileReparsesWithAgentSection() throws {
        let answers = InitWizard.Answers(apiServer: "https://api.x", webServer: "https://app.x", filesServer: "https://files.x",
                                         accessKey: "AK", secretKey: "S\"$#{}", gitUser: "git-bot", gitPass: "tok\\en",
                                         extraIndexURLs: ["https://a/simple", "https://b/simple"])
        let text = InitWizard.renderConfiguration(answers)
        let root = try HOCON.parse(text, file: "out.conf", readFile: { _ in nil })
        let config = EffectiveConfig(root: root)
        #expect(try config.string("api.api_server") == "https://api.x")
        #expect(try config.string("api.credentials.secret_key") == "S\"$#{}")
        #expect(try config.string("agent.git_user") == "git-bot")
        #expect(try config.string("agent.git_pass") == "tok\\en")
        #expect(try config.stringList("agent.package_manager.extra_index_url") == ["https://a/simple", "https://b/simple"])
        #expect(root["agent"]?.objectValue?.isEmpty == false)
        #expect(root["k8s_glue"] == nil)
    }

    @Test func existingFileMessageSaysHowToAddTheAgentSection() {
        let text = InitWizard.existingFileMessage(path: "/home/u/clearml.conf").description
        #expect(text.hasPrefix("/home/u/clearml.conf: configuration file already exists"))
        #expect(text.contains("clearml-glue init --output"))
        #expect(text.contains("agent { ... }"))
    }

    @Test func maskedKeyShowsOnlyAPrefix() {
        #expect(InitWizard.maskedKey("AKWEBUI1234") == "AKWE*******")
        #expect(InitWizard.maskedKey("AB") == "AB****")
    }
}
