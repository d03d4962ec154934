import ClearMLConfig
import Foundation
import Testing

@Suite("Typed settings and validation")
struct ClearMLSettingsTests {
    static func settings(_ environment: [String: String] = [:], file: String? = nil) throws -> ClearMLSettings {
        try ConfigLoader(environment: environment, homeDirectory: "/home/u",
                         readFile: { _ in file }, fileExists: { _ in file != nil }).load().settings()
    }

    @Test func forceUVOverridesConfiguredType() throws {
        let settings = try Self.settings(["CLEARML_AGENT_FORCE_UV": "1"], file: "agent.package_manager.type: conda")
        #expect(settings.agent.packageManager.type == "uv")
        #expect(settings.agent.packageManager.configuredType == "conda")
    }

    @Test func glueKnobsFromEnvironment() throws {
        let settings = try Self.settings([
            "K8S_GLUE_QUEUE": "high, low", "K8S_GLUE_MAX_PODS": "4", "K8S_GLUE_EXTRA_ARGS": "--namespace ml --template-yaml /t.yaml",
            "CLEARML_K8S_GLUE_KIND": "Job", "K8S_GLUE_POD_MONITOR_EVICTION_REASONS": "ErrImagePull 'Custom Reason'",
            "K8S_GLUE_COMPLETED_POD_DELETION_DELAY_MINUTES": "1.5", "K8S_GLUE_DEF_EXEC_AGENT_ARGS": "--full-monitoring",
            "K8S_GLUE_POD_AGENT_INSTALL_ARGS": "==3.0.3", "K8S_GLUE_POD_USE_IMAGE_ENTRYPOINT": "yes",
        ])
        let glue = settings.k8sGlue
        #expect(glue.queues == ["high", "low"])
        #expect(glue.maxPods == 4)
        #expect(glue.extraArgs == ["--namespace", "ml", "--template-yaml", "/t.yaml"])
        #expect(glue.kind == .job)
        #expect(glue.evictionReasons == ["ErrImagePull", "Custom Reason"])
        #expect(glue.completedPodDeletionDelayMinutes == 1.5)
        #expect(glue.defaultExecuteAgentArgs == ["--full-monitoring"])
        #expect(glue.podAgentInstallArgs == "==3.0.3")
        #expect(glue.useImageEntrypoint)
    }

    @Test func queueWrittenAsCommaStringInFile() throws {
        #expect(try Self.settings(file: "k8s_glue.queue: \"a,b\"").k8sGlue.queues == ["a", "b"])
    }

    @Test func apiSettings() throws {
        let settings = try Self.settings(["CLEARML_AUTH_TOKEN": "t", "CLEARML_API_DEFAULT_REQ_METHOD": "post",
                                          "CLEARML_OFFLINE_MODE": "on", "CLEARML_NO_DEFAULT_SERVER": "1"],
                                         file: "api { api_server: \"https://a/\", credentials { access_key: k, secret_key: s } }")
        #expect(settings.api.apiServer == "https://a")
        #expect(settings.api.authToken == "t")
        #expect(settings.api.defaultRequestMethod == "POST")
        #expect(settings.api.offlineMode && settings.api.noDefaultServer)
        #expect(settings.api.hasCredentials)
    }

    @Test func dockerArgumentsAsShellString() throws {
        #expect(try Self.settings(file: "agent.default_docker.arguments: \"--ipc=host -e 'A=b c'\"").agent.dockerArguments == ["--ipc=host", "-e", "A=b c"])
    }

    @Test func caBundlePathMustBeReadable() throws {
        let settings = try Self.settings(["CLEARML_API_HOST_VERIFY_CERT": "~/certs/ca.pem"])
        #expect(settings.api.verifyCertificate == .caBundle(path: "~/certs/ca.pem", source: .environment(name: "CLEARML_API_HOST_VERIFY_CERT")))
        let error = configError { try settings.validate(isReadableFile: { _ in false }) }
        #expect(error?.description == "environment variable CLEARML_API_HOST_VERIFY_CERT: the CA bundle '/home/u/certs/ca.pem' named by api.verify_certificate cannot be read — fix the path or its permissions, or set it to true (system CAs) or false (no verification)")
        var seen: [String] = []
        try settings.validate(isReadableFile: { seen.append($0); return true })
        #expect(seen == ["/home/u/certs/ca.pem"])
    }

    @Test func caBundleFromFileNamesFileAndLine() throws {
        let settings = try Self.settings(file: "api {\n  verify_certificate: /missing/ca.pem\n}")
        let error = configError { try settings.validate() }
        #expect(error?.description.hasPrefix("/home/u/clearml.conf:2: the CA bundle '/missing/ca.pem'") == true)
    }

    @Test func realCABundleOnDiskValidates() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ca-\(UUID().uuidString).pem").path
        try "-----BEGIN CERTIFICATE-----\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.settings(["CLEARML_API_HOST_VERIFY_CERT": path]).validate()
        #expect(configError { try Self.settings(["CLEARML_API_HOST_VERIFY_CERT": path + ".nope"]).validate() } != nil)
        #expect(configError { try Self.settings(["CLEARML_API_HOST_VERIFY_CERT": "/tmp"]).validate() } != nil)
    }

    @Test(arguments: [
        (["CLEARML_API_HOST": "api.clear.ml"], "environment variable CLEARML_API_HOST: api.api_server must be an http:// or https:// URL"),
        (["CLEARML_AGENT_GIT_USE_MS_ENTRA_TOKEN": "1", "CLEARML_AGENT_GIT_USE_AZURE_PAT": "1"], "agent.git_use_ms_entra_token (env CLEARML_AGENT_GIT_USE_MS_ENTRA_TOKEN) and agent.git_use_azure_pat (env CLEARML_AGENT_GIT_USE_AZURE_PAT) are both on"),
        (["K8S_GLUE_MAX_PODS": "-1"], "environment variable K8S_GLUE_MAX_PODS: k8s_glue.max_pods must not be negative"),
        (["K8S_GLUE_COMPLETED_POD_DELETION_DELAY_MINUTES": "-2"], "environment variable K8S_GLUE_COMPLETED_POD_DELETION_DELAY_MINUTES: k8s_glue.completed_pod_deletion_delay_minutes must not be negative"),
        (["K8S_GLUE_POD_MONITOR_LOG_BATCH_SIZE": "0"], "environment variable K8S_GLUE_POD_MONITOR_LOG_BATCH_SIZE: k8s_glue.pod_monitor_log_batch_size must be at least 1"),
    ])
    func validationErrors(_ environment: [String: String], _ expected: String) throws {
        let error = configError { try Self.settings(environment).validate() }
        #expect(error?.description.hasPrefix(expected) == true, "\(error?.description ?? "no error")")
    }

    @Test func kindFromFileMustBePodOrJob() {
        let error = configError { _ = try Self.settings(file: "k8s_glue.kind: deployment") }
        #expect(error?.description == "/home/u/clearml.conf:1: k8s_glue.kind must be pod or job, but is 'deployment' — fix the value in the file")
    }
}
