import ClearMLConfig
import Testing

@Suite("CLEARML_AGENT__ dynamic environment variables")
struct DynamicEnvironmentTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let value: String
        let path: String
        let expected: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "CLEARML_AGENT__AGENT__PACKAGE_MANAGER__TYPE", value: "uv", path: "agent.package_manager.type", expected: #""uv""#),
        Case(name: "CLEARML_AGENT__AGENT__DEFAULT_DOCKER__IMAGE", value: #""python:3.12""#, path: "agent.default_docker.image", expected: #""python:3.12""#),
        Case(name: "CLEARML_AGENT__AGENT__VCS_CACHE__ENABLED", value: "false", path: "agent.vcs_cache.enabled", expected: "false"),
        Case(name: "CLEARML_AGENT__AGENT__VENVS_CACHE__MAX_ENTRIES", value: "3", path: "agent.venvs_cache.max_entries", expected: "3"),
        Case(name: "CLEARML_AGENT__AGENT__DEFAULT_DOCKER__ARGUMENTS", value: #"["--ipc=host"]"#, path: "agent.default_docker.arguments", expected: #"["--ipc=host"]"#),
        Case(name: "CLEARML_AGENT__AGENT__EXTRA", value: #"{"a": 1}"#, path: "agent.extra", expected: #"{"a": 1}"#),
        Case(name: "CLEARML_AGENT__AGENT__ORDERED", value: #"{"z": [1.5, null], "a": {"y": "\u00e9", "b": true}}"#,
             path: "agent.ordered", expected: #"{"z": [1.5, null], "a": {"y": "é", "b": true}}"#),
        Case(name: "CLEARML_AGENT__AGENT__LEADING_ZERO", value: "0755", path: "agent.leading_zero", expected: #""0755""#),
        Case(name: "CLEARML_AGENT__AGENT__WORKER_NAME", value: "not json {", path: "agent.worker_name", expected: #""not json {""#),
        Case(name: "CLEARML_AGENT__AGENT__TRANSLATE_SSH", value: "True", path: "agent.translate_ssh", expected: #""True""#),
        Case(name: "CLEARML_AGENT__SDK__DEVELOPMENT__DEFAULT_OUTPUT_URI", value: "s3://b", path: "sdk.development.default_output_uri", expected: #""s3://b""#),
        Case(name: "CLEARML_AGENT__K8S_GLUE__MAX_PODS", value: "4", path: "k8s_glue.max_pods", expected: "4"),
    ]

    @Test(arguments: cases)
    func overrides(_ testCase: Case) throws {
        let config = try ConfigLoader(environment: [testCase.name: testCase.value], homeDirectory: "/h", fileExists: { _ in false }).load()
        let value = try #require(config.value(at: testCase.path))
        #expect(ConfigRenderer.inlineJSON(value) == testCase.expected)
        #expect(value.source == .environment(name: testCase.name))
    }

    @Test func pathRule() {
        #expect(DynamicEnvironment.path(forVariable: "CLEARML_AGENT__AGENT__GIT_USER") == ["agent", "git_user"])
        #expect(DynamicEnvironment.path(forVariable: "CLEARML_AGENT_GIT_USER") == nil)
    }

    @Test func objectValuesDeepMerge() throws {
        let environment = ["CLEARML_AGENT__AGENT__VCS_CACHE": #"{"path": "/cache"}"#]
        let config = try ConfigLoader(environment: environment, homeDirectory: "/h", fileExists: { _ in false }).load()
        #expect(try config.string("agent.vcs_cache.path") == "/cache")
        #expect(try config.bool("agent.vcs_cache.enabled") == true)
    }

    @Test func overridesTheFileAndLosesToFixedVariables() throws {
        let environment = [
            "CLEARML_AGENT__AGENT__GIT_USER": "dynamic",
            "CLEARML_AGENT__AGENT__WORKER_ID": "dynamic",
            "CLEARML_WORKER_ID": "fixed",
        ]
        let loader = ConfigLoader(environment: environment, homeDirectory: "/h",
                                  readFile: { _ in "agent { git_user: file, worker_id: file }" }, fileExists: { _ in true })
        let config = try loader.load()
        #expect(try config.string("agent.git_user") == "dynamic")
        #expect(try config.string("agent.worker_id") == "fixed")
    }

    @Test func emptySegmentIsAnErrorNamingTheVariable() {
        let error = configError {
            _ = try ConfigLoader(environment: ["CLEARML_AGENT__AGENT____X": "1"], homeDirectory: "/h", fileExists: { _ in false }).load()
        }
        #expect(error?.description.hasPrefix("environment variable CLEARML_AGENT__AGENT____X: ") == true)
    }

    @Test func typedViewSeesDynamicBooleansAsWords() throws {
        // "True" is not JSON, so it stays text; the typed view still reads it as a boolean.
        let config = try ConfigLoader(environment: ["CLEARML_AGENT__AGENT__FORCE_GIT_SSH_PROTOCOL": "True"],
                                      homeDirectory: "/h", fileExists: { _ in false }).load()
        #expect(try config.settings().agent.forceGitSSHProtocol)
    }
}
