/// Built-in defaults, written as HOCON so they read like the clearml.conf they stand in for. Values follow
/// upstream clearml-agent's default configuration (local server ports 8008/8080/8081, pip, caches under
/// ~/.clearml) and the upstream glue's defaults for the `k8s_glue` section.
public enum ConfigDefaults {
    public static let text = """
    api {
        api_server: "http://localhost:8008"
        web_server: "http://localhost:8080"
        files_server: "http://localhost:8081"
        credentials { access_key: "", secret_key: "" }
        verify_certificate: true
        http { default_method: GET }
        offline_mode: false
        no_default_server: false
    }
    agent {
        worker_id: ""
        worker_name: ""
        git_user: ""
        git_pass: ""
        git_host: ""
        force_git_ssh_protocol: false
        translate_ssh: true
        python_binary: ""
        package_manager {
            type: pip
            system_site_packages: false
            force_upgrade: false
            force_uv: false
            force_system_site_packages: false
            extra_index_url: []
            extra_pip_install_flags: []
        }
        venvs_dir: "~/.clearml/venvs-builds"
        venvs_cache { max_entries: 10, free_space_threshold_gb: 2.0, path: "~/.clearml/venvs-cache" }
        vcs_cache { enabled: true, path: "~/.clearml/vcs-cache" }
        pip_download_cache { enabled: true, path: "~/.clearml/pip-download-cache" }
        default_docker { image: "nvidia/cuda:12.6.3-cudnn-runtime-ubuntu20.04", arguments: [] }
        hide_docker_command_env_vars { enabled: true, extra_keys: [] }
        cpu_only: false
        no_update: false
        git_use_ms_entra_token: false
        git_use_azure_pat: false
        queue_poll_freq_sec: 5.0
        status_report_freq_sec: 30.0
    }
    k8s_glue {
        queue: []
        extra_args: []
        namespace: clearml
        kind: pod
        pending_queue_name: k8s_scheduler
        pod_name_prefix: "clearml-id-"
        start_agent_script_path: "~/__start_agent__.sh"
        default_execute_agent_args: ["--full-monitoring", "--require-queue"]
        pod_agent_install_args: ""
        pod_monitor_disable_enqueue_on_preemption: false
        pod_monitor_eviction_reasons: [ImagePullBackOff, InvalidImageName]
        pod_use_image_entrypoint: false
        default_scheduler_queue_tags: ["k8s-glue"]
        completed_pod_deletion_delay_minutes: 0.0
        pod_monitor_log_batch_size: 5
        monitor_all_namespaces: false
    }
    """

    /// The defaults as a tree whose every leaf has the `default` source.
    public static func tree() throws(ConfigError) -> ConfigObject {
        let parsed = try HOCON.parse(text, file: "<defaults>", readFile: { _ in nil })
        return parsed.restamped(.defaultValue)
    }
}
