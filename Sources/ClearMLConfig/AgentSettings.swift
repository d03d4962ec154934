/// `agent.*`: what the in-pod executor needs (identity, git, Python environment, caches, containers).
extension ClearMLSettings {

    public struct PackageManager: Sendable, Hashable {
        /// The manager to use: "uv" when forced by CLEARML_AGENT_FORCE_UV, else the configured type.
        public var type: String
        public var configuredType: String
        public var forceUV: Bool
        public var systemSitePackages: Bool
        public var forceSystemSitePackages: Bool
        public var forceUpgrade: Bool
        public var extraIndexURLs: [String]
        public var extraPipInstallFlags: [String]
        public var pytorchResolve: String?
    }

    public struct Cache: Sendable, Hashable {
        public var enabled: Bool
        /// As written (may start with `~`: it is resolved where the task runs, not here).
        public var path: String

        public init(enabled: Bool, path: String) {
            self.enabled = enabled
            self.path = path
        }
    }

    public struct Agent: Sendable, Hashable {
        public var workerId: String?
        public var workerName: String?
        public var workerTags: [String]
        public var gitUser: String?
        public var gitPass: String?
        public var gitHost: String?
        public var forceGitSSHProtocol: Bool
        public var translateSSH: Bool
        public var gitCloneVerbose: Bool
        public var gitUseMSEntraToken: Bool
        public var gitUseAzurePAT: Bool
        public var dockerImage: String
        public var dockerArguments: [String]
        public var dockerArgsFilters: [String]
        public var hiddenEnvironmentKeys: [String]
        public var pythonBinary: String?
        public var packageManager: PackageManager
        public var venvsDir: String
        public var vcsCache: Cache
        public var venvsCache: Cache
        public var cudaVersion: String?
        public var cudnnVersion: String?
        public var cpuOnly: Bool
        public var noUpdate: Bool
        public var updateVersion: String?
        public var skipContainerApt: Bool
        public var forceCodeDir: String?
        public var forceExecScript: String?
        /// nil: not set (upstream adds Task.init only when asked).
        public var forceTaskInit: Bool?
        public var execUser: String?
        public var extraPythonPath: String?
        public var hostMount: String?
        public var abortCallbackCommand: String?
        public var abortCallbackTimeoutSeconds: Int?
        public var tempStdoutFileDir: String?
        public var skipPipVenvInstall: String?
        public var skipPythonEnvInstall: Bool
        public var queuePollFrequencySeconds: Double
        public var statusReportFrequencySeconds: Double
        /// Sources of the settings `validate()` cross-checks.
        var gitTokenSources: [String: ConfigSource]

        init(_ config: EffectiveConfig) throws(ConfigError) {
            workerId = try config.nonEmptyString("agent.worker_id")
            workerName = try config.nonEmptyString("agent.worker_name")
            workerTags = try config.stringList("agent.worker_tags") ?? []
            gitUser = try config.nonEmptyString("agent.git_user")
            gitPass = try config.nonEmptyString("agent.git_pass")
            gitHost = try config.nonEmptyString("agent.git_host")
            forceGitSSHProtocol = try config.bool("agent.force_git_ssh_protocol") ?? false
            translateSSH = try config.bool("agent.translate_ssh") ?? true
            gitCloneVerbose = try config.bool("agent.git_clone_verbose") ?? false
            gitUseMSEntraToken = try config.bool("agent.git_use_ms_entra_token") ?? false
            gitUseAzurePAT = try config.bool("agent.git_use_azure_pat") ?? false
            var gitTokenSources: [String: ConfigSource] = [:]
            for path in ["agent.git_use_ms_entra_token", "agent.git_use_azure_pat"] {
                gitTokenSources[path] = config.source(of: path)
            }
            self.gitTokenSources = gitTokenSources
            dockerImage = try config.nonEmptyString("agent.default_docker.image") ?? ""
            dockerArguments = try Self.arguments(config, "agent.default_docker.arguments")
            dockerArgsFilters = try config.stringList("agent.docker_args_filters") ?? []
            hiddenEnvironmentKeys = try config.stringList("agent.hide_docker_command_env_vars.extra_keys") ?? []
            pythonBinary = try config.nonEmptyString("agent.python_binary")

            let configuredType = try config.nonEmptyString("agent.package_manager.type") ?? "pip"
            let forceUV = try config.bool("agent.package_manager.force_uv") ?? false
            packageManager = PackageManager(
                type: forceUV ? "uv" : configuredType,
                configuredType: configuredType,
                forceUV: forceUV,
                systemSitePackages: try config.bool("agent.package_manager.system_site_packages") ?? false,
                forceSystemSitePackages: try config.bool("agent.package_manager.force_system_site_packages") ?? false,
                forceUpgrade: try config.bool("agent.package_manager.force_upgrade") ?? false,
                extraIndexURLs: (try config.stringList("agent.package_manager.extra_index_url") ?? []).filter { !$0.isEmpty },
                extraPipInstallFlags: try config.stringList("agent.package_manager.extra_pip_install_flags") ?? [],
                pytorchResolve: try config.nonEmptyString("agent.package_manager.pytorch_resolve")
            )
            venvsDir = try config.nonEmptyString("agent.venvs_dir") ?? "~/.clearml/venvs-builds"
            vcsCache = Cache(enabled: try config.bool("agent.vcs_cache.enabled") ?? true,
                             path: try config.nonEmptyString("agent.vcs_cache.path") ?? "~/.clearml/vcs-cache")
            // Upstream: the venv cache is on exactly when a path is set.
            let venvsCachePath = try config.nonEmptyString("agent.venvs_cache.path")
            venvsCache = Cache(enabled: venvsCachePath != nil, path: venvsCachePath ?? "")
            cudaVersion = try config.nonEmptyString("agent.cuda_version")
            cudnnVersion = try config.nonEmptyString("agent.cudnn_version")
            cpuOnly = try config.bool("agent.cpu_only") ?? false
            noUpdate = try config.bool("agent.no_update") ?? false
            updateVersion = try config.nonEmptyString("agent.update_version")
            skipContainerApt = try config.bool("agent.skip_container_apt") ?? false
            forceCodeDir = try config.nonEmptyString("agent.force_code_dir")
            forceExecScript = try config.nonEmptyString("agent.force_exec_script")
            forceTaskInit = try config.bool("agent.force_task_init")
            execUser = try config.nonEmptyString("agent.exec_user")
            extraPythonPath = try config.nonEmptyString("agent.extra_python_path")
            hostMount = try config.nonEmptyString("agent.host_mount")
            abortCallbackCommand = try config.nonEmptyString("agent.abort_callback_cmd")
            abortCallbackTimeoutSeconds = try config.int("agent.abort_callback_timeout")
            tempStdoutFileDir = try config.nonEmptyString("agent.temp_stdout_file_dir")
            skipPipVenvInstall = try config.nonEmptyString("agent.skip_pip_venv_install")
            skipPythonEnvInstall = try config.bool("agent.skip_python_env_install") ?? false
            queuePollFrequencySeconds = try config.double("agent.queue_poll_freq_sec") ?? 5
            statusReportFrequencySeconds = try config.double("agent.status_report_freq_sec") ?? 30
        }

        /// Container arguments may be written as a list or as one shell-style string.
        private static func arguments(_ config: EffectiveConfig, _ path: String) throws(ConfigError) -> [String] {
            if let value = config.value(at: path), case let .string(text) = value.kind {
                do {
                    return try ShellWords.split(text)
                } catch {
                    throw config.mismatch(path, value, expected: "a list or shell words with balanced quotes")
                }
            }
            return try config.stringList(path) ?? []
        }
    }
}
