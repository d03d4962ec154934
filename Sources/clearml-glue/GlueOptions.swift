import ArgumentParser
import ClearMLConfig
import Foundation
import Logging
import Glue
import JSONValue

/// The flags of upstream's k8s glue example (`k8s_glue_example.py`) and of `clearml-agent daemon`
/// that mean something for a Kubernetes controller, plus ours. Values not given fall back to the
/// environment (`K8S_GLUE_*`, `CLEARML_K8S_GLUE_*`) and clearml.conf, as upstream.
struct GlueOptions: ParsableArguments {
    @Option(name: .customLong("queue"), help: "Queue(s) to serve, by name or id; repeat or comma-separate (default: $K8S_GLUE_QUEUE). With --dynamic-gpus, 'name=N' gives the queue's GPU count.")
    var queues: [String] = []
    @Option(help: "Namespace of the task pods (default: k8s_glue.namespace or 'clearml').")
    var namespace: String?
    @Option(name: .customLong("template-yaml"), help: "Pod (or Job) template for task pods, YAML or JSON.")
    var templateYAML: String?
    @Option(name: .customLong("overrides-yaml"), help: "Fields merged over the template for every task pod (applied, unlike upstream).")
    var overridesYAML: String?
    @Option(name: .customLong("queue-config"), help: "Per-queue templates, overrides, maxPods, image and gpus (YAML; see the README).")
    var queueConfig: String?
    @Option(name: .customLong("max-pods"), help: "Most task pods pending or running at once (default: $K8S_GLUE_MAX_PODS, unlimited).")
    var maxPods: Int?
    @Option(name: .customLong("pod-name-prefix"), help: "Task pod name prefix (default 'clearml-id-').")
    var podNamePrefix: String?
    @Option(name: .customLong("k8s-pending-queue-name"), help: "Hidden queue holding tasks whose pod is being created (default 'k8s_scheduler').")
    var pendingQueueName: String?
    @Flag(name: .customLong("create-queue"), help: "Create the served queues when they do not exist.")
    var createQueue = false
    @Flag(name: .customLong("order-fairness"), help: "Round-robin over the queues instead of strict priority (first queue first).")
    var orderFairness = false
    @Flag(name: .customLong("dynamic-gpus"), help: "Read each queue's GPU count from --queue name=N.")
    var dynamicGPUs = false
    @Option(name: .customLong("container-bash-script"), help: "File whose lines run in the task container before the agent starts.")
    var containerBashScript: String?
    @Flag(name: .customLong("no-system-packages"), help: "Task virtualenvs do not see the image's system site-packages.")
    var noSystemPackages = false
    @Option(name: .customLong("pod-clearml-conf"), help: "clearml.conf for the task pods: each gets it from a Secret it owns, mounted read-only, as CLEARML_CONFIG_FILE (needs create on secrets: deploy/optional/pod-clearml-conf.yaml).")
    var podClearMLConf: String?
    @Flag(name: .customLong("debug"), help: "Log at debug level (as --log-level debug).")
    var debug = false

    @Option(help: "Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, else the in-cluster service account).")
    var kubeconfig: String?
    @Option(help: "Kubeconfig context to use.")
    var context: String?
    @Option(name: .customLong("credentials-secret"), help: "Secret that task pods read their ClearML credentials from, by secretKeyRef (default: $CLEARML_K8S_GLUE_CREDENTIALS_SECRET).")
    var credentialsSecret: String?
    @Option(name: .customLong("credentials-access-key-name"), help: "Key of --credentials-secret holding the access key (default: $CLEARML_K8S_GLUE_CREDENTIALS_ACCESS_KEY_NAME, else CLEARML_API_ACCESS_KEY; an upstream clearml-agent chart's Secret has agentk8sglue_key).")
    var credentialsAccessKeyName: String?
    @Option(name: .customLong("credentials-secret-key-name"), help: "Key of --credentials-secret holding the secret key (default: $CLEARML_K8S_GLUE_CREDENTIALS_SECRET_KEY_NAME, else CLEARML_API_SECRET_KEY; an upstream clearml-agent chart's Secret has agentk8sglue_secret).")
    var credentialsSecretKeyName: String?
    @Option(name: .customLong("task-service-account"), help: "Service account of task pods (never the glue's own).")
    var taskServiceAccount: String?
    @Option(name: .customLong("image-pull-secret"), help: "Image pull secret for task pods; repeat for more.")
    var imagePullSecrets: [String] = []
    @Option(name: .customLong("agent-mode"), help: "How task pods get the agent: injected (init container copies clearml-glue), python (pip-installs clearml-agent), image-entrypoint.")
    var agentMode: String?
    @Option(name: .customLong("agent-image"), help: "Image of the init container that injects the agent (default: $CLEARML_K8S_GLUE_AGENT_IMAGE).")
    var agentImage: String?
    @Option(name: .customLong("agent-binary-path"), help: "Where the agent image keeps the clearml-glue binary the init container copies (default /opt/clearml-glue/bin/clearml-glue: the bundle in the glue image; a path ending in bin/clearml-glue copies its bundle folder).")
    var agentBinaryPath: String?
    @Option(name: .customLong("reconcile-interval"), help: "Seconds between reconcile passes (default 30).")
    var reconcileInterval: Double = 30
    @Option(name: .customLong("create-rate"), help: "Most pods created per second (burst: twice as many after a quiet spell).")
    var createRate: Double = 250
    @Option(name: .customLong("kube-qps"), help: "Client-side limit on Kubernetes API requests per second (burst: twice as many).")
    var kubeQPS: Double = 300
    @Flag(name: .customLong("leader-elect"), help: "Run only while holding a coordination.k8s.io Lease, so replicas never both launch.")
    var leaderElect = false
    @Option(name: .customLong("lease-name"), help: "Lease name for --leader-elect (default 'clearml-glue').")
    var leaseName = "clearml-glue"
    @Option(name: .customLong("metrics-address"), help: "host:port serving /metrics, /healthz and /readyz; 'off' to serve nothing.")
    var metricsAddress = "0.0.0.0:9090"

    // Upstream flags this controller does not implement; refused with the reason instead of ignored.
    @Flag(name: .customLong("ports-mode"), help: .hidden) var portsMode = false
    @Option(name: .customLong("num-of-services"), help: .hidden) var numOfServices: Int?
    @Option(name: .customLong("base-port"), help: .hidden) var basePort: Int?
    @Option(name: .customLong("base-pod-num"), help: .hidden) var basePodNum: Int?
    @Option(name: .customLong("gateway-address"), help: .hidden) var gatewayAddress: String?
    @Flag(name: .customLong("use-owner-token"), help: .hidden) var useOwnerToken = false
    @Option(name: .customLong("limit-pod-label"), help: .hidden) var limitPodLabel: String?
    @Option(name: .customLong("ssh-server-port"), help: .hidden) var sshServerPort: Int?
    @Option(name: .customLong("uptime"), parsing: .upToNextOption, help: "When to take tasks, as '<hours> [<days>]' entries, e.g. '17-20 TUE' '9-17 MON-FRI' (local time).")
    var uptime: [String] = []
    @Option(name: .customLong("downtime"), parsing: .upToNextOption, help: "When not to take tasks (same format as --uptime; give one of the two).")
    var downtime: [String] = []
    @Option(name: .customLong("child-report-tags"), parsing: .upToNextOption, help: "Tags the in-pod agents report with their worker status.")
    var childReportTags: [String] = []
    @Option(name: .customLong("gpus"), help: "GPUs of each task pod whose queue and docker arguments name no count, as upstream's daemon flag: device indexes (0, 0,1, 0-3) become that many nvidia.com/gpu; all sets NVIDIA_VISIBLE_DEVICES=all without a limit.")
    var gpus: String?
    @Flag(name: .customLong("cpu-only"), help: "Task pods get no GPU: no nvidia.com/gpu limit and NVIDIA_VISIBLE_DEVICES=none, as upstream's daemon flag.")
    var cpuOnly = false

    func refuseUnsupported() throws {
        if portsMode || numOfServices != nil || basePort != nil || basePodNum != nil || gatewayAddress != nil {
            throw ValidationError("--ports-mode (and --num-of-services/--base-port/--base-pod-num/--gateway-address) is not supported: expose task ports with a Service in the pod template or the queue config instead")
        }
        if useOwnerToken { throw ValidationError("--use-owner-token is not supported: task pods authenticate with --credentials-secret") }
        if limitPodLabel != nil { throw ValidationError("--limit-pod-label is not supported: use --max-pods or per-queue maxPods in --queue-config") }
        if sshServerPort != nil { throw ValidationError("--ssh-server-port is not supported: use kubectl exec or port-forward to reach a task pod") }
        if !uptime.isEmpty && !downtime.isEmpty { throw ValidationError("give --uptime or --downtime, not both") }
        if gpus != nil && cpuOnly { throw ValidationError("give --gpus or --cpu-only, not both") }
    }
}

/// Builds the controller's configuration from the options, the environment and clearml.conf.
struct GlueConfigurationBuilder {
    let options: GlueOptions
    let settings: ClearMLSettings
    let environment: [String: String]

    func build() throws -> GlueConfiguration {
        try options.refuseUnsupported()
        let glue = settings.k8sGlue
        let workerID = settings.agent.workerId ?? "clearml-glue"
        var queueWords = options.queues.isEmpty ? glue.queues : options.queues
        queueWords = queueWords.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
        guard !queueWords.isEmpty else { throw ValidationError("no queue to serve: pass --queue NAME (or set K8S_GLUE_QUEUE)") }

        var fileQueues: [String: ServedQueue] = [:]
        if let path = options.queueConfig {
            let document = try TemplateFile.load(path: path, role: "--queue-config")
            let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
            fileQueues = try QueueConfigFile.parse(document, source: "--queue-config \(path)") { file, role throws(TemplateFile.Failure) in
                try TemplateFile.load(path: file.hasPrefix("/") ? file : base + "/" + file, role: role)
            }
        }
        var served: [ServedQueue] = []
        for word in queueWords {
            var name = word
            var gpus: Int?
            if options.dynamicGPUs, let equals = word.lastIndex(of: "=") {
                name = String(word[..<equals])
                guard let count = Int(word[word.index(after: equals)...]), count >= 0 else {
                    throw ValidationError("--queue '\(word)': with --dynamic-gpus the form is name=N, N a GPU count")
                }
                gpus = count
            }
            var queue = fileQueues.removeValue(forKey: name) ?? ServedQueue(name: name)
            if let gpus { queue.pod.gpus = gpus }
            served.append(queue)
        }
        if let extra = fileQueues.keys.sorted().first {
            throw ValidationError("--queue-config names queue '\(extra)', which is not served; add it to --queue or remove it from the file")
        }

        let kind: PodRenderSettings.Kind = glue.kind == .job ? .job : .pod
        var baseTemplate: JSONValue?
        if let path = options.templateYAML {
            let template = try TemplateFile.load(path: path, role: "--template-yaml")
            try TemplateFile.checkTemplate(template, source: "--template-yaml \(path)", expectedKind: kind)
            baseTemplate = template
        }
        if let path = options.overridesYAML {
            let overrides = try TemplateFile.load(path: path, role: "--overrides-yaml")
            baseTemplate = StrategicMerge.merge(baseTemplate ?? [:], overrides)
        }
        if let mount = settings.agent.hostMount {
            baseTemplate = StrategicMerge.merge(baseTemplate ?? [:], try Self.hostMountOverrides(mount))
        }
        for queue in served {
            if let template = queue.pod.template {
                try TemplateFile.checkTemplate(template, source: "--queue-config queues.\(queue.name).template", expectedKind: kind)
            }
        }

        let agentImage = options.agentImage ?? environment["CLEARML_K8S_GLUE_AGENT_IMAGE"]
        let mode: AgentMode
        switch options.agentMode ?? (glue.useImageEntrypoint ? "image-entrypoint" : "injected") {
        case "injected":
            guard let agentImage, !agentImage.isEmpty else {
                throw ValidationError("--agent-mode injected needs the agent image: pass --agent-image (the clearml-glue image) or set CLEARML_K8S_GLUE_AGENT_IMAGE; or use --agent-mode python")
            }
            mode = .injected(image: agentImage)
        case "python": mode = .python(installArguments: glue.podAgentInstallArgs)
        case "image-entrypoint": mode = .imageEntrypoint
        case let other: throw ValidationError("--agent-mode '\(other)': use injected, python or image-entrypoint")
        }
        var render = PodRenderSettings(workerID: workerID, agentMode: mode, defaultImage: settings.agent.dockerImage,
                                       apiServer: settings.api.apiServer, webServer: settings.api.webServer, filesServer: settings.api.filesServer)
        render.kind = kind
        for image in Set([settings.agent.dockerImage] + served.compactMap(\.pod.defaultImage)) {
            if let warning = ImageFit.warning(image: image, mode: mode) { Logger(label: "clearml-glue").warning("\(warning)") }
        }
        render.namespace = options.namespace ?? glue.namespace
        render.podNamePrefix = options.podNamePrefix ?? glue.podNamePrefix
        render.startScriptPath = glue.startAgentScriptPath
        render.executeArguments = glue.defaultExecuteAgentArgs
        render.defaultDockerArguments = settings.agent.dockerArguments
        render.dockerArgumentFilters = settings.agent.dockerArgsFilters
        render.credentialsSecret = options.credentialsSecret ?? environment["CLEARML_K8S_GLUE_CREDENTIALS_SECRET"]
        render.credentialsSecretKeys = (
            accessKey: try Self.secretKeyName(options.credentialsAccessKeyName ?? environment["CLEARML_K8S_GLUE_CREDENTIALS_ACCESS_KEY_NAME"],
                                              default: "CLEARML_API_ACCESS_KEY", flag: "--credentials-access-key-name"),
            secretKey: try Self.secretKeyName(options.credentialsSecretKeyName ?? environment["CLEARML_K8S_GLUE_CREDENTIALS_SECRET_KEY_NAME"],
                                              default: "CLEARML_API_SECRET_KEY", flag: "--credentials-secret-key-name"))
        try applyGPUs(to: &render, queues: served)
        render.taskServiceAccount = options.taskServiceAccount
        render.glueServiceAccount = environment["CLEARML_K8S_GLUE_SERVICE_ACCOUNT"]
        render.imagePullSecrets = options.imagePullSecrets
        if let path = options.podClearMLConf {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("--pod-clearml-conf \(path): cannot read the file as UTF-8 text; check the path and that the glue may read it")
            }
            // A Secret holds at most 1 MiB (kubernetes pkg/apis/core/types.go MaxSecretSize).
            guard text.utf8.count <= 1_048_576 else { throw ValidationError("--pod-clearml-conf \(path): larger than a Secret can hold (1 MiB); trim the file") }
            render.podClearMLConf = text
        }
        if let path = options.agentBinaryPath { render.injectedAgentPath = path }
        if let path = options.containerBashScript {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("--container-bash-script \(path): cannot read the file")
            }
            render.extraInit = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
        if !options.childReportTags.isEmpty {
            render.extraEnvironment.append((name: "CLEARML_WORKER_TAGS", value: options.childReportTags.joined(separator: " ")))
        }
        if options.noSystemPackages { render.extraEnvironment.append((name: "CLEARML_AGENT_FORCE_SYSTEM_SITE_PACKAGES", value: "0")) }
        if case .disabled = settings.api.verifyCertificate {
            render.extraEnvironment.append((name: "CLEARML_API_HOST_VERIFY_CERT", value: "false"))
        }
        // With --pod-clearml-conf the keys may come in that file, as upstream's pods get them.
        if render.credentialsSecret == nil, render.podClearMLConf == nil, mode != .imageEntrypoint {
            throw ValidationError("task pods need ClearML credentials and the glue never writes them into a pod: pass --credentials-secret NAME, a Secret with keys \(render.credentialsSecretKeys.accessKey) and \(render.credentialsSecretKeys.secretKey) in namespace \(render.namespace) (other key names: --credentials-access-key-name, --credentials-secret-key-name)")
        }

        var namespaces = [render.namespace]
        for template in [baseTemplate] + served.map(\.pod.template) {
            if let namespace = template?.value(at: "metadata.namespace")?.stringValue, !namespaces.contains(namespace) { namespaces.append(namespace) }
        }
        var configuration = GlueConfiguration(workerID: workerID, queues: served, render: render, namespaces: namespaces)
        configuration.baseTemplate = baseTemplate
        let templateFiles = [options.templateYAML.map { "--template-yaml \($0)" }, options.overridesYAML.map { "--overrides-yaml \($0)" }].compactMap { $0 }
        if !templateFiles.isEmpty { configuration.baseTemplateSource = templateFiles.joined(separator: " with ") }
        if let path = options.queueConfig {
            for queue in served where queue.pod != QueuePodSettings() { configuration.queueSources[queue.name] = "--queue-config \(path) queues.\(queue.name)" }
        }
        configuration.createQueues = options.createQueue
        configuration.workerTags = settings.agent.workerTags
        do {
            if !options.uptime.isEmpty { configuration.schedule = try WorkSchedule(mode: .uptime, entries: options.uptime) }
            if !options.downtime.isEmpty { configuration.schedule = try WorkSchedule(mode: .downtime, entries: options.downtime) }
        } catch { throw ValidationError(error.description) }
        configuration.orderFairness = options.orderFairness
        configuration.pendingQueueName = options.pendingQueueName ?? glue.pendingQueueName
        configuration.pendingQueueTags = glue.schedulerQueueTags
        configuration.maxPods = options.maxPods ?? glue.maxPods
        if let maxPods = configuration.maxPods, maxPods < 1 { throw ValidationError("--max-pods must be at least 1") }
        configuration.policy.requeueOnPreemption = !glue.disableEnqueueOnPreemption
        configuration.policy.completedPodDeletionDelay = .seconds(glue.completedPodDeletionDelayMinutes * 60)
        if glue.evictionReasonsSet {
            do { configuration.policy.pendingRules = try PendingReasonRules.parse(glue.evictionReasons) } catch {
                throw ValidationError("K8S_GLUE_POD_MONITOR_EVICTION_REASONS: \(error)")
            }
        }
        if let seconds = environment["CLEARML_AGENT_QUEUE_POLL_FREQ_SEC"].flatMap(Double.init), seconds >= 0 {
            configuration.idlePollInterval = .milliseconds(Int64(seconds * 1000))
        }
        guard options.createRate > 0, options.kubeQPS > 0 else { throw ValidationError("--create-rate and --kube-qps must be positive") }
        configuration.createRate = options.createRate
        configuration.createBurst = max(1, Int(options.createRate * 2))
        guard options.reconcileInterval > 0 else { throw ValidationError("--reconcile-interval must be a positive number of seconds") }
        configuration.reconcileInterval = .milliseconds(Int64(options.reconcileInterval * 1000))
        if options.leaderElect {
            let identity = (environment["HOSTNAME"] ?? ProcessInfo.processInfo.hostName) + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
            var election = LeaderElectionSettings(namespace: render.namespace, identity: identity)
            election.leaseName = options.leaseName
            configuration.leaderElection = election
        }
        if options.metricsAddress != "off" {
            guard let colon = options.metricsAddress.lastIndex(of: ":"), let port = Int(options.metricsAddress[options.metricsAddress.index(after: colon)...]),
                  (0...65535).contains(port) else {
                throw ValidationError("--metrics-address '\(options.metricsAddress)': use host:port (e.g. 0.0.0.0:9090) or off")
            }
            configuration.metricsAddress = (String(options.metricsAddress[..<colon]), port)
        }
        return configuration
    }

    /// A Secret data key: what Kubernetes accepts (`[-._a-zA-Z0-9]+`, at most 253 characters).
    static func secretKeyName(_ value: String?, default fallback: String, flag: String) throws -> String {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return fallback }
        let allowed = CharacterSet(charactersIn: "-._abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        guard value.count <= 253, value.unicodeScalars.allSatisfy(allowed.contains) else {
            throw ValidationError("\(flag) '\(value)' is not a Secret key: use letters, digits, '-', '_' and '.' (e.g. agentk8sglue_key)")
        }
        return value
    }

    /// `--gpus` / `--cpu-only` (upstream daemon flags): the default device request of task pods.
    func applyGPUs(to render: inout PodRenderSettings, queues: [ServedQueue]) throws {
        var selection: GPUSelection?
        if options.cpuOnly { selection = GPUSelection.none }
        if let text = options.gpus {
            do { selection = try GPUSelection.parse(text) } catch { throw ValidationError(error.description) }
        }
        switch selection {
        case .count(let count): render.defaultGPUs = count
        case .all: render.extraEnvironment.append((name: "NVIDIA_VISIBLE_DEVICES", value: "all"))
        case GPUSelection.none?:
            if let queue = queues.first(where: { ($0.pod.gpus ?? 0) > 0 }) {
                throw ValidationError("\(options.cpuOnly ? "--cpu-only" : "--gpus none") but queue '\(queue.name)' asks for \(queue.pod.gpus ?? 0) GPUs (--queue-config or --dynamic-gpus): drop one of the two")
            }
            render.cpuOnly = true
        case nil: break
        }
    }

    /// `CLEARML_AGENT_K8S_HOST_MOUNT=/host/path:/container/path`: a hostPath volume in every task pod.
    static func hostMountOverrides(_ mount: String) throws -> JSONValue {
        let parts = mount.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0].hasPrefix("/"), parts[1].hasPrefix("/") else {
            throw ValidationError("CLEARML_AGENT_K8S_HOST_MOUNT '\(mount)': use /host/path:/container/path")
        }
        return [
            "spec": [
                "volumes": [["name": "clearml-host-mount", "hostPath": ["path": .string(parts[0])]]],
                "containers": [["name": .string(PodRenderer.taskContainerDefaultName),
                                "volumeMounts": [["name": "clearml-host-mount", "mountPath": .string(parts[1])]]]],
            ],
        ]
    }
}
