import JSONValue

/// Everything the renderer needs besides the task: the glue's configuration, resolved once at start.
public struct PodRenderSettings: Sendable {
    public enum Kind: String, Sendable { case pod = "Pod", job = "Job" }

    public var kind: Kind = .pod
    public var namespace = "clearml"
    public var podNamePrefix = "clearml-id-"
    /// The glue's worker id; its hash marks the pods this glue owns.
    public var workerID: String
    public var agentMode: AgentMode
    public var startScriptPath = "~/__start_agent__.sh"
    public var executeArguments = ["--full-monitoring", "--require-queue"]
    public var extraInit: [String] = []
    /// Used when neither the task nor its queue names an image.
    public var defaultImage: String
    public var defaultDockerArguments: [String] = []
    public var apiServer: String
    public var webServer: String
    public var filesServer: String
    /// Secret task pods read their ClearML keys from (`credentialsSecretKeys` names its two keys).
    public var credentialsSecret: String?
    /// The keys of `credentialsSecret` holding the access and the secret key: `CLEARML_API_ACCESS_KEY` and
    /// `CLEARML_API_SECRET_KEY` by default, `agentk8sglue_key`/`agentk8sglue_secret` for an upstream chart's Secret.
    public var credentialsSecretKeys = (accessKey: "CLEARML_API_ACCESS_KEY", secretKey: "CLEARML_API_SECRET_KEY")
    /// The glue's `--gpus`: the `nvidia.com/gpu` limit of a task pod whose queue and docker arguments name no count.
    public var defaultGPUs: Int?
    /// The glue's `--cpu-only`: task pods get no GPU and `NVIDIA_VISIBLE_DEVICES=none`, whatever their docker arguments ask.
    public var cpuOnly = false
    /// The text of `--pod-clearml-conf`: each task pod reads it from a Secret the glue creates and the pod owns
    /// (`<pod>-conf`), mounted read-only at `podClearMLConfPath`, never from its args or env values.
    public var podClearMLConf: String?
    public static let podClearMLConfVolume = "clearml-pod-conf"
    public static let podClearMLConfKey = "clearml.conf"
    public static let podClearMLConfPath = "/etc/clearml-glue/pod-conf/clearml.conf"
    public static func podClearMLConfSecretName(pod: String) -> String { pod + "-conf" }
    /// The account task pods run as; never the glue's own (`glueServiceAccount`).
    public var taskServiceAccount: String?
    public var glueServiceAccount: String?
    public var imagePullSecrets: [String] = []
    public var dockerArgumentFilters: [String] = []
    public var allowedHostPaths: [String] = []
    /// `CLEARML_AGENT_EXTRA_DOCKER_LABELS`, as pod labels.
    public var extraLabels: [String: String] = [:]
    public var extraEnvironment: [(name: String, value: String)] = []
    /// Where the injecting init container finds the agent in the agent image: the glue's image keeps the
    /// relocatable bundle (binary + libraries) in /opt/clearml-glue; the embedded cluster copies the built
    /// binary from wherever it is.
    public var injectedAgentPath = "/opt/clearml-glue/bin/clearml-glue"

    public init(workerID: String, agentMode: AgentMode, defaultImage: String, apiServer: String, webServer: String, filesServer: String) {
        self.workerID = workerID
        self.agentMode = agentMode
        self.defaultImage = defaultImage
        self.apiServer = apiServer
        self.webServer = webServer
        self.filesServer = filesServer
    }
}

/// The per-queue part (what upstream keeps for its Enterprise edition): its own template, overrides,
/// default image and GPU count.
public struct QueuePodSettings: Sendable, Equatable {
    public var template: JSONValue?
    public var overrides: JSONValue?
    public var defaultImage: String?
    public var gpus: Int?

    public init(template: JSONValue? = nil, overrides: JSONValue? = nil, defaultImage: String? = nil, gpus: Int? = nil) {
        self.template = template
        self.overrides = overrides
        self.defaultImage = defaultImage
        self.gpus = gpus
    }
}

/// The task as the renderer sees it.
public struct PodTask: Sendable, Equatable {
    public var id: String
    public var parentID: String?
    public var queueID: String
    public var queueName: String
    public var image: String?
    /// `container.arguments`, a shell-quoted string as ClearML stores it.
    public var dockerArguments: String?
    public var setupShellScript: String?
    /// Where the image was read from, for messages: `container.image` or `execution.docker_cmd`.
    public var imageField = "container.image"
    /// What reading the task changed or ignored, for the task's console.
    public var notes: [String] = []

    public init(id: String, parentID: String? = nil, queueID: String, queueName: String, image: String? = nil,
                dockerArguments: String? = nil, setupShellScript: String? = nil) {
        self.id = id
        self.parentID = parentID
        self.queueID = queueID
        self.queueName = queueName
        self.image = image
        self.dockerArguments = dockerArguments
        self.setupShellScript = setupShellScript
    }
}

/// A rendered pod (or job) and what the user should hear about it (ignored docker arguments...).
public struct RenderedPod: Sendable, Equatable {
    public var name: String
    public var namespace: String
    public var manifest: JSONValue
    public var notes: [String]
}
