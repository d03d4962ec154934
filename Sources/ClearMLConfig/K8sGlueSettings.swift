/// `k8s_glue.*`: the glue's own knobs (K8S_GLUE_*, CLEARML_K8S_GLUE_* and the glue command's flags).
extension ClearMLSettings {

    public enum WorkloadKind: String, Sendable, Hashable {
        case pod, job
    }

    public struct K8sGlue: Sendable, Hashable {
        public var queues: [String]
        public var maxPods: Int?
        public var extraArgs: [String]
        public var namespace: String
        public var kind: WorkloadKind
        public var pendingQueueName: String
        public var podNamePrefix: String
        /// Where the task pod writes its start script; `~` is the pod's home, so it is kept as written.
        public var startAgentScriptPath: String
        public var defaultExecuteAgentArgs: [String]
        public var podAgentInstallArgs: String
        public var disableEnqueueOnPreemption: Bool
        public var evictionReasons: [String]
        public var useImageEntrypoint: Bool
        public var ignoreKubectlError: String?
        public var schedulerQueueTags: [String]
        public var completedPodDeletionDelayMinutes: Double
        public var podMonitorLogBatchSize: Int
        public var monitorAllNamespaces: Bool
        /// Whether `pod_monitor_eviction_reasons` was given (else the graced default rules apply).
        public var evictionReasonsSet: Bool
        var sources: [String: ConfigSource]

        init(_ config: EffectiveConfig) throws(ConfigError) {
            queues = (try config.stringList("k8s_glue.queue") ?? []).flatMap { $0.split(separator: ",") }
                .map { String($0).trimmingWhitespace }.filter { !$0.isEmpty }
            maxPods = try config.int("k8s_glue.max_pods")
            extraArgs = try config.stringList("k8s_glue.extra_args") ?? []
            namespace = try config.nonEmptyString("k8s_glue.namespace") ?? "clearml"
            let kindText = try config.nonEmptyString("k8s_glue.kind") ?? "pod"
            guard let kind = WorkloadKind(rawValue: kindText.lowercased()) else {
                throw config.mismatch("k8s_glue.kind", config.value(at: "k8s_glue.kind") ?? .string(kindText), expected: "pod or job")
            }
            self.kind = kind
            pendingQueueName = try config.nonEmptyString("k8s_glue.pending_queue_name") ?? "k8s_scheduler"
            podNamePrefix = try config.string("k8s_glue.pod_name_prefix") ?? "clearml-id-"
            startAgentScriptPath = try config.nonEmptyString("k8s_glue.start_agent_script_path") ?? "~/__start_agent__.sh"
            defaultExecuteAgentArgs = try config.stringList("k8s_glue.default_execute_agent_args")
                ?? ["--full-monitoring", "--require-queue"]
            podAgentInstallArgs = try config.string("k8s_glue.pod_agent_install_args") ?? ""
            disableEnqueueOnPreemption = try config.bool("k8s_glue.pod_monitor_disable_enqueue_on_preemption") ?? false
            evictionReasons = try config.stringList("k8s_glue.pod_monitor_eviction_reasons") ?? ["ImagePullBackOff", "InvalidImageName"]
            let evictionSource = config.source(of: "k8s_glue.pod_monitor_eviction_reasons")
            evictionReasonsSet = evictionSource != nil && evictionSource != .defaultValue
            useImageEntrypoint = try config.bool("k8s_glue.pod_use_image_entrypoint") ?? false
            ignoreKubectlError = try config.nonEmptyString("k8s_glue.ignore_kubectl_error")
            schedulerQueueTags = try config.stringList("k8s_glue.default_scheduler_queue_tags") ?? ["k8s-glue"]
            completedPodDeletionDelayMinutes = try config.double("k8s_glue.completed_pod_deletion_delay_minutes") ?? 0
            podMonitorLogBatchSize = try config.int("k8s_glue.pod_monitor_log_batch_size") ?? 5
            monitorAllNamespaces = try config.bool("k8s_glue.monitor_all_namespaces") ?? false
            var sources: [String: ConfigSource] = [:]
            for path in ["k8s_glue.max_pods", "k8s_glue.completed_pod_deletion_delay_minutes", "k8s_glue.pod_monitor_log_batch_size"] {
                sources[path] = config.source(of: path)
            }
            self.sources = sources
        }
    }
}
