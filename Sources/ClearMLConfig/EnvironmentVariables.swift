/// Every environment variable this program understands, one entry each: the setting it overrides, how its text
/// is typed, and whether the glue uses it. Sources: seed 002 (agent variables), seed 004 (SDK variables),
/// python-glue-reference §1 (the glue's own knobs) and a few more upstream variables the glue relies on.
/// Aliases are legacy names (`TRAINS_*`) read when the main name is unset.
public struct EnvironmentVariable: Sendable, Hashable {
    /// Who acts on the setting, so `config` can say when a value is ignored here.
    public enum Applicability: Sendable, Hashable {
        /// Used by the glue or by `execute` in the task pod.
        case glue
        /// Only meaningful for an agent running tasks in local docker containers.
        case dockerModeOnly
        /// Only meaningful for an agent in services mode.
        case servicesModeOnly
        /// Read by the ClearML SDK inside the task; the glue passes it through.
        case sdk

        /// The remark `config --show-sources` appends, or nil when the glue uses the value.
        public var note: String? {
            switch self {
            case .glue: nil
            case .dockerModeOnly: "docker mode only; ignored by the glue"
            case .servicesModeOnly: "services mode only; ignored by the glue"
            case .sdk: "read by the ClearML SDK inside tasks"
            }
        }
    }

    public let name: String
    public let aliases: [String]
    /// The configuration path it overrides; nil for variables the loader reads itself (`CLEARML_CONFIG_FILE`).
    public let path: String?
    public let type: SettingType
    public let applicability: Applicability
    public let summary: String

    public init(_ name: String, aliases: [String] = [], path: String?, _ type: SettingType, _ summary: String) {
        self.init(name, aliases: aliases, path: path, type, .glue, summary)
    }

    public init(_ name: String, aliases: [String] = [], path: String?, _ type: SettingType,
                _ applicability: Applicability, _ summary: String) {
        self.name = name
        self.aliases = aliases
        self.path = path
        self.type = type
        self.applicability = applicability
        self.summary = summary
    }

    /// All names, main first.
    public var names: [String] { [name] + aliases }
}

public enum EnvironmentVariables {
    public static let configFile = "CLEARML_CONFIG_FILE"
    public static let dynamicPrefix = "CLEARML_AGENT__"

    public static let all: [EnvironmentVariable] = [
        // MARK: Server connection (seed 004)
        .init("CLEARML_API_HOST", aliases: ["TRAINS_API_HOST"], path: "api.api_server", .string, "API server URL"),
        .init("CLEARML_WEB_HOST", aliases: ["TRAINS_WEB_HOST"], path: "api.web_server", .string, "Web UI server URL"),
        .init("CLEARML_FILES_HOST", aliases: ["TRAINS_FILES_HOST"], path: "api.files_server", .string, "File server URL"),
        .init("CLEARML_API_ACCESS_KEY", aliases: ["TRAINS_API_ACCESS_KEY"], path: "api.credentials.access_key", .string,
              "API access key (public half of the credentials)"),
        .init("CLEARML_API_SECRET_KEY", aliases: ["TRAINS_API_SECRET_KEY"], path: "api.credentials.secret_key", .string,
              "API secret key"),
        .init("CLEARML_AUTH_TOKEN", path: "api.auth_token", .string, "Pre-issued API token, used instead of key/secret"),
        .init("CLEARML_API_HOST_VERIFY_CERT", aliases: ["TRAINS_API_HOST_VERIFY_CERT"], path: "api.verify_certificate",
              .boolOrPath, "Verify the server's TLS certificate (false to skip), or a CA bundle path"),
        .init("CLEARML_API_DEFAULT_REQ_METHOD", path: "api.http.default_method", .choice(["GET", "POST", "PUT"]),
              "HTTP method for API calls and login, for proxies that block GET with a body"),
        .init("CLEARML_OFFLINE_MODE", path: "api.offline_mode", .bool, "Offline mode: record locally, talk to no server"),
        .init("CLEARML_NO_DEFAULT_SERVER", path: "api.no_default_server", .bool,
              "Never fall back to the public demo server when no server is configured"),
        .init(configFile, aliases: ["TRAINS_CONFIG_FILE"], path: nil, .string,
              "clearml.conf to read instead of ~/clearml.conf"),

        // MARK: Worker identity and hardware (seed 002)
        .init("CLEARML_WORKER_ID", aliases: ["TRAINS_WORKER_ID"], path: "agent.worker_id", .string, "Worker ID"),
        .init("CLEARML_WORKER_NAME", aliases: ["TRAINS_WORKER_NAME"], path: "agent.worker_name", .string,
              "Worker name (replaces the host name in generated worker IDs)"),
        .init("CLEARML_WORKER_TAGS", path: "agent.worker_tags", .shellWords, "Tags reported with the worker"),
        .init("CLEARML_CUDA_VERSION", aliases: ["TRAINS_CUDA_VERSION", "CUDA_VERSION"], path: "agent.cuda_version", .string,
              "CUDA version used to resolve PyTorch wheels"),
        .init("CLEARML_CUDNN_VERSION", aliases: ["TRAINS_CUDNN_VERSION", "CUDNN_VERSION"], path: "agent.cudnn_version",
              .string, "cuDNN version used to resolve PyTorch wheels"),
        .init("CLEARML_CPU_ONLY", aliases: ["TRAINS_CPU_ONLY", "CPU_ONLY"], path: "agent.cpu_only", .bool, "Force CPU-only mode"),
        .init("CLEARML_MULTI_NODE_SINGLE_TASK", path: "agent.multi_node_single_task", .int,
              "How multi-node resource monitoring is reported for a single task"),

        // MARK: Containers (seed 002)
        .init("CLEARML_DOCKER_IMAGE", aliases: ["TRAINS_DOCKER_IMAGE"], path: "agent.default_docker.image", .string,
              "Default container image for tasks that name none"),
        .init("CLEARML_DOCKER_SKIP_GPUS_FLAG", aliases: ["TRAINS_DOCKER_SKIP_GPUS_FLAG"], path: "agent.docker_skip_gpus_flag",
              .bool, .dockerModeOnly, "Skip docker's --gpus flag (docker < 19.03)"),
        .init("CLEARML_AGENT_DOCKER_ARGS_FILTERS", path: "agent.docker_args_filters", .shellWords,
              "Regexes a task's container argument must match to be used"),
        .init("CLEARML_AGENT_DOCKER_ARGS_HIDE_ENV", path: "agent.hide_docker_command_env_vars.extra_keys", .shellWords,
              "More environment variable names whose values are masked in printed commands"),
        .init("CLEARML_AGENT_DISABLE_SSH_MOUNT", path: "agent.disable_ssh_mount", .bool, .dockerModeOnly,
              "Do not mount ~/.ssh into the container"),
        .init("CLEARML_AGENT_EXTRA_DOCKER_ARGS", path: "agent.extra_docker_arguments", .shellWords, .dockerModeOnly,
              "Extra docker run arguments"),
        .init("CLEARML_AGENT_EXTRA_DOCKER_LABELS", path: "agent.extra_docker_labels", .shellWords, .dockerModeOnly,
              "Labels added to task containers"),
        .init("CLEARML_AGENT_K8S_HOST_MOUNT",
              aliases: ["CLEARML_AGENT_DOCKER_HOST_MOUNT", "TRAINS_AGENT_K8S_HOST_MOUNT", "TRAINS_AGENT_DOCKER_HOST_MOUNT"],
              path: "agent.host_mount", .string, "Host:container mount point of the agent's folders (k8s or docker)"),
        .init("CLEARML_AGENT_CHILD_AGENTS_COUNT_CMD", path: "agent.child_agents_count_cmd", .string, .servicesModeOnly,
              "Command that lists child agents in services mode"),
        .init("FORCE_CLEARML_AGENT_REPO", aliases: ["CLEARML_AGENT_DOCKER_AGENT_REPO"], path: "agent.force_agent_repo",
              .string, "pip requirement used to install clearml-agent inside task containers"),

        // MARK: Git (seed 002)
        .init("CLEARML_AGENT_GIT_USER", aliases: ["TRAINS_AGENT_GIT_USER"], path: "agent.git_user", .string,
              "Git user for cloning task repositories"),
        .init("CLEARML_AGENT_GIT_PASS", aliases: ["TRAINS_AGENT_GIT_PASS"], path: "agent.git_pass", .string,
              "Git password or token"),
        .init("CLEARML_AGENT_GIT_HOST", aliases: ["TRAINS_AGENT_GIT_HOST"], path: "agent.git_host", .string,
              "Only send git credentials to this host"),
        .init("CLEARML_AGENT_GIT_CLONE_VERBOSE", path: "agent.git_clone_verbose", .bool, "Verbose git clone progress"),
        .init("CLEARML_AGENT_GIT_USE_MS_ENTRA_TOKEN", path: "agent.git_use_ms_entra_token", .bool,
              "Git password is a Microsoft Entra token (Azure DevOps)"),
        .init("CLEARML_AGENT_GIT_USE_AZURE_PAT", path: "agent.git_use_azure_pat", .bool,
              "Git password is an Azure DevOps personal access token"),

        // MARK: Python environment (seed 002)
        .init("CLEARML_AGENT_FORCE_UV", path: "agent.package_manager.force_uv", .bool,
              "Use uv as the package manager whatever agent.package_manager.type says"),
        .init("CLEARML_AGENT_FORCE_SYSTEM_SITE_PACKAGES", path: "agent.package_manager.force_system_site_packages", .bool,
              "Let task environments inherit system packages in containers"),
        .init("CLEARML_EXTRA_PIP_INSTALL_FLAGS", path: "agent.package_manager.extra_pip_install_flags", .shellWords,
              "Extra flags for pip install"),
        .init("CLEARML_AGENT_PACKAGE_PYTORCH_RESOLVE", path: "agent.package_manager.pytorch_resolve",
              .choice(["pip", "direct", "none"]), "How PyTorch wheels are resolved"),
        .init("CLEARML_AGENT_SKIP_PIP_VENV_INSTALL", path: "agent.skip_pip_venv_install", .string,
              "Python binary of an existing environment to use instead of creating one"),
        .init("CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL", path: "agent.skip_python_env_install", .bool,
              "Install no Python packages; use the environment as is"),
        .init("CLEARML_AGENT_VENV_CACHE_PATH", path: "agent.venvs_cache.path", .string, "Virtual environment cache folder"),
        .init("CLEARML_AGENT_EXTRA_PYTHON_PATH", aliases: ["TRAINS_AGENT_EXTRA_PYTHON_PATH"], path: "agent.extra_python_path",
              .string, "Extra PYTHONPATH entries for the task"),

        // MARK: Task execution (seed 002)
        .init("CLEARML_AGENT_FORCE_CODE_DIR", path: "agent.force_code_dir", .string,
              "Run the entry point from this folder instead of cloning"),
        .init("CLEARML_AGENT_FORCE_EXEC_SCRIPT", path: "agent.force_exec_script", .string,
              "module:file.py to run instead of the task's script"),
        .init("CLEARML_AGENT_FORCE_TASK_INIT", path: "agent.force_task_init", .bool,
              "Add Task.init() to scripts that lack it"),
        .init("CLEARML_AGENT_EXEC_USER", aliases: ["TRAINS_AGENT_EXEC_USER"], path: "agent.exec_user", .string,
              "User that runs tasks"),
        .init("CLEARML_AGENT_ABORT_CALLBACK_CMD", path: "agent.abort_callback_cmd", .string,
              "Script run when a task is aborted"),
        .init("CLEARML_AGENT_ABORT_CALLBACK_TIMEOUT", path: "agent.abort_callback_timeout", .int,
              "Seconds the abort script may run"),
        .init("CLEARML_AGENT_TEMP_STDOUT_FILE_DIR", path: "agent.temp_stdout_file_dir", .string,
              "Folder for the agent's temporary output files (default /tmp)"),
        .init("CLEARML_AGENT_DEBUG_INFO", path: "agent.debug_info", .string, "Extra debug output for a context (docker)"),
        .init("CLEARML_AGENT_NO_UPDATE", path: "agent.no_update", .bool,
              "Do not update clearml-agent in the task pod before running the task"),
        .init("CLEARML_AGENT_UPDATE_VERSION", path: "agent.update_version", .string,
              "Version specifier for clearml-agent updates, e.g. ==3.0.3"),
        .init("CLEARML_AGENT_SKIP_CONTAINER_APT", path: "agent.skip_container_apt", .bool,
              "Skip the apt-get step in task containers"),
        .init("CLEARML_AGENT_INITIAL_CONNECT_RETRY_OVERRIDE", path: "agent.initial_connect_retry_override", .boolOrInt,
              "Retry the first server connection (true/false, or a retry count)"),
        .init("CLEARML_AGENT_CRASH_ON_EXCEPTION", path: "agent.crash_on_exception", .bool, "Crash instead of recovering"),
        .init("CLEARML_AGENT_QUEUE_POLL_FREQ_SEC", path: "agent.queue_poll_freq_sec", .double, "Seconds between queue polls"),
        .init("CLEARML_AGENT_STATUS_REPORT_FREQ_SEC", path: "agent.status_report_freq_sec", .double,
              "Seconds between worker status reports"),

        // MARK: SDK (seed 004)
        .init("CLEARML_LOG_ENVIRONMENT", path: "sdk.development.log_os_environments", .commaList, .sdk,
              "Environment variables logged into the task's Environment section"),
        .init("CLEARML_TASK_NO_REUSE", path: "sdk.development.task_no_reuse", .bool, .sdk, "Never reuse a task"),
        .init("CLEARML_CACHE_DIR", path: "sdk.storage.cache.default_base_dir", .string, .sdk, "ClearML cache folder"),
        .init("CLEARML_LOG_LEVEL", aliases: ["TRAINS_LOG_LEVEL"], path: "sdk.log.level", .string,
              "Log verbosity (also the glue's own level unless --log-level is given)"),
        .init("CLEARML_SUPPRESS_UPDATE_MESSAGE", path: "sdk.development.suppress_update_message", .bool, .sdk,
              "Hide the new-version message"),
        .init("CLEARML_DEFAULT_OUTPUT_URI", path: "sdk.development.default_output_uri", .string, .sdk,
              "Default destination for models and artifacts"),
        .init("CLEARML_SET_ITERATION_OFFSET", path: "sdk.development.iteration_offset", .int, .sdk,
              "Initial iteration of the executed task"),
        .init("CLEARML_VCS_REPO_URL", path: "sdk.vcs.repo_url", .string, .sdk, "Repository URL override"),
        .init("CLEARML_VCS_COMMIT_ID", path: "sdk.vcs.commit_id", .string, .sdk, "Repository commit override"),
        .init("CLEARML_VCS_BRANCH", path: "sdk.vcs.branch", .string, .sdk, "Repository branch override"),
        .init("CLEARML_VCS_ROOT", path: "sdk.vcs.root", .string, .sdk, "Repository root folder override"),
        .init("CLEARML_VCS_WORK_DIR", path: "sdk.vcs.work_dir", .string, .sdk, "Working directory override"),
        .init("CLEARML_VCS_STATUS", path: "sdk.vcs.status", .string, .sdk, "Repository status override"),
        .init("CLEARML_VCS_DIFF", path: "sdk.vcs.diff", .verbatim, .sdk, "Base64 repository diff override"),
        .init("CLEARML_VCS_ENTRY_POINT", path: "sdk.vcs.entry_point", .string, .sdk, "Entry point override"),

        // MARK: The glue's own knobs (python-glue-reference §1, chart entrypoint)
        .init("K8S_GLUE_QUEUE", path: "k8s_glue.queue", .commaList, "Queues to serve, highest priority first"),
        .init("K8S_GLUE_MAX_PODS", path: "k8s_glue.max_pods", .int, "Maximum concurrent task pods"),
        .init("K8S_GLUE_EXTRA_ARGS", path: "k8s_glue.extra_args", .shellWords,
              "Extra glue command-line arguments (the chart's entrypoint passes them)"),
        .init("K8S_DEFAULT_NAMESPACE", path: "k8s_glue.namespace", .string, "Namespace for task pods"),
        .init("CLEARML_K8S_GLUE_KIND", path: "k8s_glue.kind", .choice(["pod", "job"]), "Create Pods or Jobs"),
        .init("CLEARML_K8S_GLUE_START_AGENT_SCRIPT_PATH", path: "k8s_glue.start_agent_script_path", .string,
              "Where the task pod writes its start script"),
        .init("K8S_GLUE_DEF_EXEC_AGENT_ARGS", path: "k8s_glue.default_execute_agent_args", .shellWords,
              "Arguments of 'execute' inside the task pod"),
        .init("K8S_GLUE_POD_AGENT_INSTALL_ARGS", path: "k8s_glue.pod_agent_install_args", .verbatim,
              "Text appended to the agent install requirement in python agent mode, e.g. ==3.0.3"),
        .init("K8S_GLUE_POD_MONITOR_DISABLE_ENQUEUE_ON_PREEMPTION", path: "k8s_glue.pod_monitor_disable_enqueue_on_preemption",
              .bool, "Fail instead of re-enqueueing tasks whose pod was preempted"),
        .init("K8S_GLUE_POD_MONITOR_EVICTION_REASONS", path: "k8s_glue.pod_monitor_eviction_reasons", .shellWords,
              "Pod waiting reasons that fail the task and delete the pod"),
        .init("K8S_GLUE_POD_USE_IMAGE_ENTRYPOINT", path: "k8s_glue.pod_use_image_entrypoint", .bool,
              "Keep the image's entrypoint; inject only the environment"),
        .init("K8S_GLUE_IGNORE_KUBECTL_ERROR", path: "k8s_glue.ignore_kubectl_error", .string,
              "Regex of pod-creation warnings to ignore"),
        .init("K8S_GLUE_DEFAULT_SCHEDULER_QUEUE_TAGS", path: "k8s_glue.default_scheduler_queue_tags", .shellWords,
              "System tags of the pending queue when the glue creates it"),
        .init("K8S_GLUE_COMPLETED_POD_DELETION_DELAY_MINUTES", path: "k8s_glue.completed_pod_deletion_delay_minutes",
              .double, "Minutes to keep finished pods before deleting them"),
        .init("K8S_GLUE_POD_MONITOR_LOG_BATCH_SIZE", path: "k8s_glue.pod_monitor_log_batch_size", .int,
              "Pod-monitor log batch size"),
        .init("CLEARML_K8S_GLUE_MONITOR_ALL_NAMESPACES", path: "k8s_glue.monitor_all_namespaces", .bool,
              "Watch task pods in every namespace"),
    ]

    /// The entry for `name` (main name or alias).
    public static func entry(named name: String) -> EnvironmentVariable? {
        all.first { $0.names.contains(name) }
    }

    /// The entry whose setting lives at `path`.
    public static func entry(forPath path: String) -> EnvironmentVariable? {
        all.first { $0.path == path }
    }
}
