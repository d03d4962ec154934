import ClearMLConfig
import Testing

@Suite("Loading: discovery and precedence")
struct ConfigLoaderTests {
    /// A fake file system: path -> contents.
    static func loader(_ environment: [String: String] = [:], files: [String: String] = [:], configFile: String? = nil,
                       flags: [String: ConfigValue] = [:]) -> ConfigLoader {
        ConfigLoader(environment: environment, homeDirectory: "/home/u", configFile: configFile, flagOverrides: flags,
                     readFile: { files[$0] }, fileExists: { files[$0] != nil })
    }

    @Test func defaultsWithoutAnyFile() throws {
        let config = try Self.loader().load()
        #expect(config.configFile == ConfigFileInfo(path: "/home/u/clearml.conf", selectedBy: .homeDefault, loaded: false))
        let settings = try config.settings()
        #expect(settings.api.apiServer == "http://localhost:8008")
        #expect(settings.api.webServer == "http://localhost:8080")
        #expect(settings.api.filesServer == "http://localhost:8081")
        #expect(settings.api.verifyCertificate == .enabled)
        #expect(settings.agent.packageManager.type == "pip")
        #expect(settings.agent.translateSSH)
        #expect(settings.k8sGlue.startAgentScriptPath == "~/__start_agent__.sh")
        #expect(settings.k8sGlue.defaultExecuteAgentArgs == ["--full-monitoring", "--require-queue"])
        #expect(settings.k8sGlue.evictionReasons == ["ImagePullBackOff", "InvalidImageName"])
        #expect(settings.k8sGlue.completedPodDeletionDelayMinutes == 0)
        #expect(settings.k8sGlue.kind == .pod)
        #expect(settings.k8sGlue.maxPods == nil)
        #expect(config.source(of: "api.api_server") == .defaultValue)
    }

    @Test func discoveryOrder() throws {
        let files = ["/home/u/clearml.conf": "a = home", "/etc/env.conf": "a = env", "/home/u/flag.conf": "a = flag"]
        #expect(try Self.loader(files: files).load().string("a") == "home")
        let env = ["CLEARML_CONFIG_FILE": "/etc/env.conf"]
        #expect(try Self.loader(env, files: files).load().string("a") == "env")
        let flagged = try Self.loader(env, files: files, configFile: "~/flag.conf").load()
        #expect(try flagged.string("a") == "flag")
        #expect(flagged.configFile?.selectedBy == .flag("--config-file"))
        #expect(try Self.loader(["TRAINS_CONFIG_FILE": "/etc/env.conf"], files: files).load().string("a") == "env")
    }

    @Test func precedenceFlagOverEnvironmentOverFileOverDefault() throws {
        let files = ["/home/u/clearml.conf": "api { api_server: \"https://file\", web_server: \"https://fileweb\" }\nagent.worker_id = file"]
        let environment = ["CLEARML_API_HOST": "https://env", "CLEARML_WORKER_ID": "env"]
        let flags: [String: ConfigValue] = ["api.api_server": .string("https://flag")]
        let config = try Self.loader(environment, files: files, flags: flags).load()
        #expect(try config.string("api.api_server") == "https://flag")
        #expect(config.source(of: "api.api_server") == .flag(name: "api.api_server"))
        #expect(try config.string("agent.worker_id") == "env")
        #expect(config.source(of: "agent.worker_id") == .environment(name: "CLEARML_WORKER_ID"))
        #expect(try config.string("api.web_server") == "https://fileweb")
        #expect(config.source(of: "api.web_server") == .file(path: "/home/u/clearml.conf", line: 1))
        #expect(config.source(of: "api.files_server") == .defaultValue)
    }

    @Test func emptyVariableCountsAsUnset() throws {
        let config = try Self.loader(["CLEARML_API_HOST": "  ", "CLEARML_CONFIG_FILE": ""]).load()
        #expect(config.source(of: "api.api_server") == .defaultValue)
        #expect(config.configFile?.selectedBy == .homeDefault)
    }

    @Test func mainNameWinsOverLegacyAlias() throws {
        let config = try Self.loader(["CLEARML_API_HOST": "https://new", "TRAINS_API_HOST": "https://old"]).load()
        #expect(try config.string("api.api_server") == "https://new")
        let legacy = try Self.loader(["TRAINS_API_HOST": "https://old"]).load()
        #expect(legacy.source(of: "api.api_server") == .environment(name: "TRAINS_API_HOST"))
    }

    @Test func fileSubstitutionsSeeTheEnvironment() throws {
        let files = ["/home/u/clearml.conf": "api.api_server: ${MY_HOST}\nagent.venvs_dir: ${?NOT_SET}"]
        let config = try Self.loader(["MY_HOST": "https://sub"], files: files).load()
        #expect(try config.string("api.api_server") == "https://sub")
        #expect(try config.string("agent.venvs_dir") == "~/.clearml/venvs-builds")
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        let label: String
        let environment: [String: String]
        let files: [String: String]
        let configFile: String?
        let expected: String
        var testDescription: String { label }
    }

    static let badInputs: [BadInput] = [
        BadInput(label: "bad boolean", environment: ["CLEARML_AGENT_FORCE_UV": "maybe"], files: [:], configFile: nil,
                 expected: "environment variable CLEARML_AGENT_FORCE_UV: 'maybe' is not a boolean — use one of 1/true/yes/on or 0/false/no/off"),
        BadInput(label: "bad integer", environment: ["K8S_GLUE_MAX_PODS": "ten"], files: [:], configFile: nil,
                 expected: "environment variable K8S_GLUE_MAX_PODS: 'ten' is not a whole number — use a whole number"),
        BadInput(label: "bad choice", environment: ["CLEARML_K8S_GLUE_KIND": "deployment"], files: [:], configFile: nil,
                 expected: "environment variable CLEARML_K8S_GLUE_KIND: 'deployment' is not accepted — use one of pod, job"),
        BadInput(label: "bad shell words", environment: ["K8S_GLUE_EXTRA_ARGS": "--a 'b"], files: [:], configFile: nil,
                 expected: "environment variable K8S_GLUE_EXTRA_ARGS: '--a 'b' has an unterminated quote"),
        BadInput(label: "missing file from env", environment: ["CLEARML_CONFIG_FILE": "/nope.conf"], files: [:], configFile: nil,
                 expected: "/nope.conf: configuration file does not exist (from environment variable CLEARML_CONFIG_FILE) — fix CLEARML_CONFIG_FILE"),
        BadInput(label: "missing file from flag", environment: [:], files: [:], configFile: "~/x.conf",
                 expected: "/home/u/x.conf: configuration file does not exist (from --config-file) — fix the path given to --config-file"),
        BadInput(label: "malformed file", environment: [:], files: ["/home/u/clearml.conf": "api {\n  api_server: x\n"], configFile: nil,
                 expected: "/home/u/clearml.conf:3:1: expected '}' to close object opened at line 1 — check for an unbalanced brace"),
    ]

    @Test(arguments: badInputs)
    func badInputEndsInOneClearMessage(_ input: BadInput) {
        let error = configError { _ = try Self.loader(input.environment, files: input.files, configFile: input.configFile).load() }
        #expect(error?.description.hasPrefix(input.expected) == true, "\(error?.description ?? "no error")")
    }

    @Test func unreadableFileIsNamed() {
        let loader = ConfigLoader(environment: [:], homeDirectory: "/home/u", readFile: { _ in nil }, fileExists: { _ in true })
        let error = configError { _ = try loader.load() }
        #expect(error?.description.hasPrefix("/home/u/clearml.conf: configuration file cannot be read (default location)") == true)
    }

    @Test func secretValuesAreNotEchoedInErrors() throws {
        // A wrongly typed value under a secret-named key is described by its type, never shown; the same
        // mistake under an ordinary key shows the value (the contrast proves the check can see an echo).
        let secret = "s3cr3t-V4lue"
        let fileBool = try #require(configError {
            _ = try Self.loader(files: ["/home/u/clearml.conf": "agent.git_use_ms_entra_token = \(secret)"]).load().settings()
        })
        #expect(fileBool.description.contains("agent.git_use_ms_entra_token must be a boolean"), "\(fileBool)")
        #expect(!fileBool.description.contains(secret), "\(fileBool)")
        let plainBool = try #require(configError {
            _ = try Self.loader(files: ["/home/u/clearml.conf": "agent.cpu_only = \(secret)"]).load().settings()
        })
        #expect(plainBool.description.contains("'\(secret)'"), "\(plainBool)")

        let environmentBool = try #require(configError {
            _ = try Self.loader(["CLEARML_AGENT_GIT_USE_MS_ENTRA_TOKEN": secret]).load().settings()
        })
        #expect(environmentBool.description.contains("CLEARML_AGENT_GIT_USE_MS_ENTRA_TOKEN"), "\(environmentBool)")
        #expect(!environmentBool.description.contains(secret), "\(environmentBool)")
        let plainEnvironment = try #require(configError { _ = try Self.loader(["CLEARML_CPU_ONLY": secret]).load().settings() })
        #expect(plainEnvironment.description.contains(secret), "\(plainEnvironment)")

        let nested = try #require(configError {
            _ = try Self.loader(files: ["/home/u/clearml.conf": "agent { git_pass = {a: \"\(secret)\"} }"]).load().settings()
        })
        #expect(nested.description.contains("agent.git_pass must be text, but is an object"), "\(nested)")
        #expect(!nested.description.contains(secret), "\(nested)")
        let listed = try #require(configError {
            _ = try Self.loader(files: ["/home/u/clearml.conf": "api.credentials.secret_key = [\(secret)]"]).load().settings()
        })
        #expect(!listed.description.contains(secret), "\(listed)")

        // A variable wins over the file, so a bad file value it hides is not read at all.
        let hidden = configError { _ = try Self.loader(["CLEARML_AGENT_GIT_PASS": "p"], files: ["/home/u/clearml.conf": "agent.git_pass = [1]"]).load().settings() }
        #expect(hidden == nil)
    }

    @Test func fileTypeErrorsNameFileAndLine() {
        let files = ["/home/u/clearml.conf": "agent {\n  cpu_only: maybe\n}"]
        let error = configError { _ = try Self.loader(files: files).load().settings() }
        #expect(error?.description == "/home/u/clearml.conf:2: agent.cpu_only must be a boolean (1/true/yes/on or 0/false/no/off), but is 'maybe' — fix the value in the file")
    }

    @Test func zeroMeansFalseUnlikeUpstream() throws {
        let config = try Self.loader(["CLEARML_AGENT_NO_UPDATE": "0", "K8S_GLUE_POD_USE_IMAGE_ENTRYPOINT": "false", "CLEARML_API_HOST_VERIFY_CERT": "0"]).load()
        let settings = try config.settings()
        #expect(settings.agent.noUpdate == false)
        #expect(settings.k8sGlue.useImageEntrypoint == false)
        #expect(settings.api.verifyCertificate == .disabled)
    }
}
