import ClearMLConfig
import Foundation
import Testing

@Suite("Environment variable table")
struct EnvironmentVariablesTests {
    /// The variable names the ClearML documentation lists: `Tests/Fixtures/documented-environment-variables.txt`
    /// (its header names the pages), one per line; `#` comments and blank lines are skipped.
    static func documentedVariableNames() throws -> [String] {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/documented-environment-variables.txt")
        let text = try String(contentsOf: fixture, encoding: .utf8)
        return text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    @Test func everyDocumentedVariableIsMapped() throws {
        let names = try Self.documentedVariableNames()
        // All 66 names the two pages list: dropping one from the fixture must not make the test pass.
        #expect(names.count == 66, "the fixture lists \(names.count) names, the documentation 66")
        #expect(Set(names).count == names.count, "duplicates in the fixture")
        let pattern = try NSRegularExpression(pattern: "^(CLEARML|K8S|TRAINS)_[A-Z0-9_]*[A-Z0-9]$")
        let malformed = names.filter { pattern.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) == nil }
        #expect(malformed.isEmpty, "not variable names: \(malformed)")
        let missing = names.filter { EnvironmentVariables.entry(named: $0) == nil }
        #expect(missing.isEmpty, "unmapped: \(missing.sorted())")
    }

    @Test func explicitMappings() {
        let expected: [(String, String)] = [
            ("CLEARML_API_HOST", "api.api_server"), ("CLEARML_WEB_HOST", "api.web_server"),
            ("CLEARML_FILES_HOST", "api.files_server"), ("CLEARML_API_ACCESS_KEY", "api.credentials.access_key"),
            ("CLEARML_API_SECRET_KEY", "api.credentials.secret_key"), ("CLEARML_API_HOST_VERIFY_CERT", "api.verify_certificate"),
            ("CLEARML_AGENT_GIT_USER", "agent.git_user"), ("CLEARML_WORKER_ID", "agent.worker_id"),
            ("CLEARML_DOCKER_IMAGE", "agent.default_docker.image"), ("CLEARML_AGENT_VENV_CACHE_PATH", "agent.venvs_cache.path"),
            ("K8S_GLUE_MAX_PODS", "k8s_glue.max_pods"), ("K8S_GLUE_QUEUE", "k8s_glue.queue"),
            ("CLEARML_K8S_GLUE_START_AGENT_SCRIPT_PATH", "k8s_glue.start_agent_script_path"),
            ("TRAINS_API_HOST", "api.api_server"), ("CUDA_VERSION", "agent.cuda_version"),
        ]
        for (name, path) in expected {
            #expect(EnvironmentVariables.entry(named: name)?.path == path, "\(name)")
        }
        #expect(EnvironmentVariables.entry(named: "CLEARML_CONFIG_FILE")?.path == nil)
    }

    /// python-glue-reference §1: the glue's own knobs, and the entrypoint's.
    @Test func everyGlueKnobIsMapped() {
        let knobs = [
            "CLEARML_K8S_GLUE_KIND", "CLEARML_K8S_GLUE_START_AGENT_SCRIPT_PATH", "K8S_GLUE_DEF_EXEC_AGENT_ARGS",
            "K8S_GLUE_POD_AGENT_INSTALL_ARGS", "K8S_GLUE_POD_MONITOR_DISABLE_ENQUEUE_ON_PREEMPTION",
            "K8S_GLUE_POD_MONITOR_EVICTION_REASONS", "K8S_GLUE_POD_USE_IMAGE_ENTRYPOINT", "K8S_GLUE_IGNORE_KUBECTL_ERROR",
            "K8S_GLUE_DEFAULT_SCHEDULER_QUEUE_TAGS", "K8S_GLUE_COMPLETED_POD_DELETION_DELAY_MINUTES",
            "K8S_GLUE_POD_MONITOR_LOG_BATCH_SIZE", "K8S_GLUE_QUEUE", "K8S_GLUE_MAX_PODS", "K8S_GLUE_EXTRA_ARGS",
            "CLEARML_AGENT_QUEUE_POLL_FREQ_SEC", "CLEARML_AGENT_STATUS_REPORT_FREQ_SEC",
        ]
        for knob in knobs {
            let entry = EnvironmentVariables.entry(named: knob)
            #expect(entry?.path != nil, "\(knob)")
            #expect(entry?.applicability == .glue, "\(knob)")
        }
    }

    @Test func namesAndPathsAreUnique() {
        let names = EnvironmentVariables.all.flatMap(\.names)
        #expect(Set(names).count == names.count)
        let paths = EnvironmentVariables.all.compactMap(\.path)
        #expect(Set(paths).count == paths.count)
        #expect(EnvironmentVariables.all.allSatisfy { !$0.summary.isEmpty })
    }

    @Test func dockerOnlyVariablesAreMarked() {
        for name in ["CLEARML_DOCKER_SKIP_GPUS_FLAG", "CLEARML_AGENT_DISABLE_SSH_MOUNT", "CLEARML_AGENT_EXTRA_DOCKER_ARGS"] {
            #expect(EnvironmentVariables.entry(named: name)?.applicability == .dockerModeOnly, "\(name)")
        }
        #expect(EnvironmentVariables.entry(named: "CLEARML_API_HOST")?.applicability == .glue)
    }

    @Test func everyMappedPathIsReadableFromTheDefaultsOrOptional() throws {
        // Each path must be settable: setting every variable at once must load without a type error.
        var environment: [String: String] = [:]
        for variable in EnvironmentVariables.all where variable.path != nil {
            environment[variable.name] = Self.sample(for: variable.type)
        }
        let config = try ConfigLoader(environment: environment, homeDirectory: "/h", fileExists: { _ in false }).load()
        for variable in EnvironmentVariables.all {
            guard let path = variable.path else { continue }
            #expect(config.source(of: path) == .environment(name: variable.name), "\(variable.name)")
        }
        _ = try config.settings()
    }

    static func sample(for type: SettingType) -> String {
        switch type {
        case .string, .verbatim, .boolOrPath: "value"
        case .bool: "yes"
        case .int, .boolOrInt: "7"
        case .double: "2.5"
        case .commaList: "a, b"
        case .shellWords: "a 'b c'"
        case let .choice(options): options.last ?? ""
        }
    }
}

@Suite("Typed parsing of environment text")
struct SettingTypeTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let type: SettingType
        let raw: String
        let expected: String?
        var testDescription: String { "\(type) \(raw)" }
    }

    static let cases: [Case] = [
        Case(type: .bool, raw: "1", expected: "true"), Case(type: .bool, raw: "TRUE", expected: "true"),
        Case(type: .bool, raw: " yes ", expected: "true"), Case(type: .bool, raw: "On", expected: "true"),
        Case(type: .bool, raw: "0", expected: "false"), Case(type: .bool, raw: "False", expected: "false"),
        Case(type: .bool, raw: "no", expected: "false"), Case(type: .bool, raw: "OFF", expected: "false"),
        Case(type: .bool, raw: "maybe", expected: nil), Case(type: .bool, raw: "2", expected: nil),
        Case(type: .bool, raw: "y", expected: nil),
        Case(type: .int, raw: "42", expected: "42"), Case(type: .int, raw: "4.2", expected: nil),
        Case(type: .double, raw: "0.5", expected: "0.5"), Case(type: .double, raw: "3", expected: "3.0"),
        Case(type: .double, raw: "soon", expected: nil),
        Case(type: .commaList, raw: "a, b,,c ", expected: #"["a", "b", "c"]"#),
        Case(type: .shellWords, raw: #"ImagePullBackOff "Err Image" 'x y'"#, expected: #"["ImagePullBackOff", "Err Image", "x y"]"#),
        Case(type: .shellWords, raw: #"--a "unclosed"#, expected: nil),
        Case(type: .boolOrPath, raw: "false", expected: "false"), Case(type: .boolOrPath, raw: "/etc/ca.pem", expected: #""/etc/ca.pem""#),
        Case(type: .boolOrInt, raw: "on", expected: "true"), Case(type: .boolOrInt, raw: "5", expected: "5"),
        Case(type: .boolOrInt, raw: "x", expected: nil),
        Case(type: .choice(["pod", "job"]), raw: "JOB", expected: #""job""#), Case(type: .choice(["pod", "job"]), raw: "deployment", expected: nil),
        Case(type: .string, raw: "  x  ", expected: #""x""#), Case(type: .verbatim, raw: " ==3.0", expected: #"" ==3.0""#),
    ]

    @Test(arguments: cases)
    func parses(_ testCase: Case) {
        let value = testCase.type.parse(testCase.raw, source: .environment(name: "X"))
        #expect(value.map(ConfigRenderer.inlineJSON) == testCase.expected)
    }
}

@Suite("Shell words")
struct ShellWordsTests {
    @Test func splitsLikeShlex() throws {
        #expect(try ShellWords.split(#"  --full-monitoring   --require-queue "#) == ["--full-monitoring", "--require-queue"])
        #expect(try ShellWords.split(#"a\ b "c \"d\"" 'e\f' """#) == ["a b", #"c "d""#, #"e\f"#, ""])
        #expect(throws: ShellWords.SplitError.unterminatedQuote("'")) { try ShellWords.split("'x") }
        #expect(throws: ShellWords.SplitError.trailingBackslash) { try ShellWords.split("x\\") }
    }

    @Test func joinRoundTrips() throws {
        let words = ["--queue", "a b", "it's", "", "x=y"]
        #expect(try ShellWords.split(ShellWords.join(words)) == words)
    }
}
