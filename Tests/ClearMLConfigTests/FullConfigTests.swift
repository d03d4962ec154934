import ClearMLConfig
import Testing

/// A clearml.conf shaped like the ones users have: the web UI's api block, a full agent section in every
/// syntax style upstream's sample uses, and an sdk section.
let realisticConfig = #"""
# ClearML agent configuration
api {
    # API server on port 8008, not the web app
    api_server: https://api.example.com
    web_server: https://app.example.com/
    files_server: https://files.example.com

    credentials {"access_key": "AKEXAMPLE", "secret_key": "x!Xs3cr3t_G-#vsp$E*Y(h&"}

    verify_certificate: True
}

agent.git_user=""
agent.git_pass=""

agent.package_manager.extra_index_url= [

]

agent {
    # worker_id: "machine1:gpu0"
    worker_id: ""
    worker_name: "gpu-box"

    git_user: "builder"
    git_pass: "hunter2"
    force_git_ssh_protocol: false
    git_fetch_args: ["--all", "--tags", "--recurse-submodules"]

    python_binary: ""

    package_manager: {
        type: pip,
        # pip_version: ["<20.2 ; python_version < '3.10'"]
        system_site_packages: false,
        force_upgrade: false,
        extra_index_url: ["https://pypi.internal/simple", ]
        conda_channels: ["pytorch", "conda-forge", "defaults", ]
        torch_nightly: false,
    },

    venvs_dir = ~/.clearml/venvs-builds

    venvs_cache: {
        max_entries: 10
        free_space_threshold_gb: 2.0
        path: ~/.clearml/venvs-cache
    },

    vcs_cache: {
        enabled: true,
        path: ~/.clearml/vcs-cache
    },

    pip_download_cache {
        enabled: true,
        path: ~/.clearml/pip-download-cache
    },

    translate_ssh: true,
    reload_config: false,
    docker_pip_cache = ~/.clearml/pip-cache
    docker_apt_cache = ~/.clearml/apt-cache
    docker_force_pull: false

    default_docker: {
        image: "nvidia/cuda:12.6.3-cudnn-runtime-ubuntu20.04"
        arguments: ["--ipc=host", "-e", "A=1"]
    }

    hide_docker_command_env_vars {
        enabled: true
        extra_keys: []
    }

    # docker_init_bash_script = [
    #     "apt-get update",
    # ]
    docker_init_bash_script = [
        "echo 'Binary::apt::APT::Keep-Downloaded-Packages \"true\";' > /etc/apt/apt.conf.d/docker-clean",
        "chown -R root /root/.cache/pip",
    ]
    # cuda_version: 10.1
    cuda_version: 12.1
}

sdk {
    storage {
        cache {
            default_base_dir: "~/.clearml/cache"
            size {
                # max_used_bytes = -1
                min_free_bytes = 10GB
                # cleanup_margin_percent = 5%
            }
        }
        direct_access: [
            { url: "file://*" }  # local files are referenced directly
        ]
    }
    metrics {
        file_history_size: 100
        images { format: JPEG, quality: 87, subsampling: 0 }
        tensorboard_single_series_per_graph: False
    }
    aws {
        s3 {
            key: ""
            secret: ""
            region: ""
            credentials: [
                # { bucket: "my-bucket", key: "k", secret: "s" }
            ]
        }
        boto3 { pool_connections: 512, max_multipart_concurrency: 16 }
    }
    google.storage {
        # project: "clearml"
    }
    development {
        task_reuse_time_window_in_hours: 72.0
        default_output_uri: ""
        worker { report_period_sec: 2, ping_period_sec: 30, log_stdout: True }
    }
    aggregator_url: null
}
"""#

@Suite("A realistic clearml.conf")
struct FullConfigTests {
    @Test func parsesEverySection() throws {
        let root = try parse(realisticConfig, file: "/home/u/clearml.conf")
        #expect(root.keys == ["api", "agent", "sdk"])
        let config = EffectiveConfig(root: root)
        #expect(try config.string("api.api_server") == "https://api.example.com")
        #expect(try config.string("api.credentials.secret_key") == "x!Xs3cr3t_G-#vsp$E*Y(h&")
        #expect(try config.bool("api.verify_certificate") == true)
        // The agent block after the dotted lines overrides and merges with them.
        #expect(try config.string("agent.git_user") == "builder")
        #expect(try config.stringList("agent.package_manager.extra_index_url") == ["https://pypi.internal/simple"])
        #expect(try config.string("agent.package_manager.type") == "pip")
        #expect(try config.bool("agent.package_manager.system_site_packages") == false)
        #expect(try config.string("agent.venvs_dir") == "~/.clearml/venvs-builds")
        #expect(try config.bool("agent.vcs_cache.enabled") == true)
        #expect(try config.string("agent.vcs_cache.path") == "~/.clearml/vcs-cache")
        #expect(try config.stringList("agent.default_docker.arguments") == ["--ipc=host", "-e", "A=1"])
        #expect(try config.stringList("agent.docker_init_bash_script")?.first?.contains(#"\"true\";"#) == false)
        #expect(try config.stringList("agent.docker_init_bash_script")?.first?.contains(#""true";"#) == true)
        #expect(try config.double("agent.cuda_version") == 12.1)
        #expect(try config.string("sdk.storage.cache.size.min_free_bytes") == "10GB")
        #expect(try config.string("sdk.metrics.images.format") == "JPEG")
        #expect(try config.bool("sdk.metrics.tensorboard_single_series_per_graph") == false)
        #expect(config.value(at: "sdk.storage.direct_access")?.arrayValue?.count == 1)
        #expect(config.value(at: "sdk.aws.s3.credentials")?.arrayValue?.isEmpty == true)
        #expect(config.value(at: "sdk.google.storage")?.objectValue?.isEmpty == true)
        #expect(config.value(at: "sdk.aggregator_url")?.kind == .null)
    }

    @Test func typedSettingsFromTheFile() throws {
        let home = "/home/u"
        let loader = ConfigLoader(environment: [:], homeDirectory: home,
                                  readFile: { $0 == "/home/u/clearml.conf" ? realisticConfig : nil },
                                  fileExists: { $0 == "/home/u/clearml.conf" })
        let settings = try loader.load().settings()
        #expect(settings.api.webServer == "https://app.example.com")
        #expect(settings.api.accessKey == "AKEXAMPLE")
        #expect(settings.api.verifyCertificate == .enabled)
        #expect(settings.agent.workerId == nil)
        #expect(settings.agent.workerName == "gpu-box")
        #expect(settings.agent.gitPass == "hunter2")
        #expect(settings.agent.packageManager.extraIndexURLs == ["https://pypi.internal/simple"])
        #expect(settings.agent.vcsCache == ClearMLSettings.Cache(enabled: true, path: "~/.clearml/vcs-cache"))
        #expect(settings.agent.venvsCache.enabled)
        #expect(settings.agent.cudaVersion == "12.1")
        #expect(settings.agent.dockerImage == "nvidia/cuda:12.6.3-cudnn-runtime-ubuntu20.04")
        #expect(settings.k8sGlue.evictionReasons == ["ImagePullBackOff", "InvalidImageName"])
        try settings.validate()
    }

    @Test func renderedHOCONParsesBackToTheSameTree() throws {
        let root = try parse(realisticConfig)
        for showSources in [false, true] {
            let text = ConfigRenderer.hocon(root, options: .init(showSources: showSources, maskSecrets: false))
            #expect(json(try parse(text)) == json(root))
        }
    }
}
