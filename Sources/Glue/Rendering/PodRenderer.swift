import ClearMLConfig
import JSONValue

/// Turns a task into the pod (or job) that runs it: a pure function of the task, its queue's settings and
/// the glue's settings, so every rule here is table-tested without a cluster.
public enum PodRenderer {
    public static let taskContainerDefaultName = "clearml-task"

    /// The labels the glue finds its pods by; values sanitised as Kubernetes requires.
    public static func labels(for task: PodTask, settings: PodRenderSettings) -> [String: String] {
        var labels = settings.extraLabels.mapValues(KubernetesNames.labelValue)
        labels["CLEARML"] = KubernetesNames.agentLabel(workerID: settings.workerID)
        labels["clearml-agent-queue"] = KubernetesNames.labelValue(task.queueID)
        labels["clearml-agent-queue-name"] = KubernetesNames.labelValue(task.queueName)
        labels["clearml-task-id"] = KubernetesNames.labelValue(task.id)
        if let parent = task.parentID, !parent.isEmpty { labels["clearml-parent-task-id"] = KubernetesNames.labelValue(parent) }
        return labels
    }

    public static func render(task: PodTask, queue: QueuePodSettings, baseTemplate: JSONValue?, settings: PodRenderSettings) throws(RenderError) -> RenderedPod {
        var notes: [String] = []
        var manifest = queue.template ?? baseTemplate ?? [:]
        guard manifest.objectValue != nil else { throw RenderError("the pod template is not a YAML/JSON object") }
        if let overrides = queue.overrides {
            guard overrides.objectValue != nil else { throw RenderError("the overrides are not a YAML/JSON object") }
            manifest = StrategicMerge.merge(manifest, overrides)
        }
        let kind = manifest["kind"]?.stringValue ?? settings.kind.rawValue
        guard kind == settings.kind.rawValue else {
            throw RenderError("the template's kind is '\(kind)' but the glue creates \(settings.kind.rawValue)s (CLEARML_K8S_GLUE_KIND); use a \(settings.kind.rawValue) template")
        }
        manifest["kind"] = .string(kind)
        manifest["apiVersion"] = .string(kind == "Job" ? "batch/v1" : "v1")

        let name = try KubernetesNames.podName(prefix: settings.podNamePrefix, taskID: task.id)
        let namespace = manifest.value(at: "metadata.namespace")?.stringValue ?? settings.namespace
        manifest.set(.string(name), at: ["metadata", "name"])
        manifest.set(.string(namespace), at: ["metadata", "namespace"])
        let labels = labels(for: task, settings: settings)
        let podPath: [String] = kind == "Job" ? ["spec", "template"] : []
        for path in Set([[], podPath]) {
            for (key, value) in labels { manifest.set(.string(value), at: path + ["metadata", "labels", key]) }
        }
        if kind == "Job", manifest.value(at: ["spec", "backoffLimit"]) == nil { manifest.set(0, at: ["spec", "backoffLimit"]) }

        var spec = manifest.value(at: podPath + ["spec"]) ?? [:]
        guard spec.objectValue != nil else { throw RenderError("the template's pod spec is not an object") }
        if let policy = spec["restartPolicy"]?.stringValue, policy != "Never" {
            notes.append("restartPolicy \(policy) in the template replaced by Never: a task runs once")
        }
        spec["restartPolicy"] = "Never"
        try applyServiceAccount(&spec, settings: settings)
        if !settings.imagePullSecrets.isEmpty {
            let secrets = JSONValue.array(settings.imagePullSecrets.map { ["name": .string($0)] })
            spec["imagePullSecrets"] = .array(StrategicMerge.mergeList(spec["imagePullSecrets"]?.arrayValue ?? [], secrets.arrayValue ?? [], on: "name"))
        }

        var containers = spec["containers"]?.arrayValue ?? []
        var container = containers.first ?? [:]
        if container["name"]?.stringValue?.isEmpty ?? true { container["name"] = .string(taskContainerDefaultName) }
        // The agent writes why it refused or failed a task to /dev/termination-log; with this policy the
        // log tail stands in when it could not, so the glue always has a reason to give the task.
        if container["terminationMessagePolicy"] == nil { container["terminationMessagePolicy"] = "FallbackToLogsOnError" }
        container["image"] = .string(try ImageChoice.image(for: task, queue: queue, settings: settings))
        notes += task.notes

        let words: [String]
        do { words = try task.dockerArguments.map { try ShellWords.split($0) } ?? settings.defaultDockerArguments } catch {
            throw RenderError("the task's container.arguments cannot be parsed (\(error)); fix them in the task's container section")
        }
        let docker = DockerArguments(words, filters: settings.dockerArgumentFilters, allowedHostPaths: settings.allowedHostPaths)
        notes += docker.refused.map(\.description)

        var glueEnvironment: [JSONValue] = [
            env("CLEARML_API_HOST", settings.apiServer), env("CLEARML_WEB_HOST", settings.webServer),
            env("CLEARML_FILES_HOST", settings.filesServer), env("CLEARML_WORKER_ID", "\(settings.workerID):\(task.id)"),
            env("CLEARML_TASK_ID", task.id),
        ]
        if let secret = settings.credentialsSecret {
            let keys = settings.credentialsSecretKeys
            for (variable, key) in [("CLEARML_API_ACCESS_KEY", keys.accessKey), ("CLEARML_API_SECRET_KEY", keys.secretKey)] {
                glueEnvironment.append(["name": .string(variable), "valueFrom": ["secretKeyRef": ["name": .string(secret), "key": .string(key)]]])
            }
        }
        let gpus = settings.cpuOnly ? nil : (queue.gpus ?? docker.gpus ?? settings.defaultGPUs)
        if settings.cpuOnly { glueEnvironment.append(env("NVIDIA_VISIBLE_DEVICES", "none")) }
        if settings.podClearMLConf != nil { glueEnvironment.append(env("CLEARML_CONFIG_FILE", PodRenderSettings.podClearMLConfPath)) }
        if case .injected = settings.agentMode {
            glueEnvironment.append(env(AgentMode.agentDirectoryVariable, AgentMode.agentDirectory))
            glueEnvironment.append(env(AgentMode.terminationLogVariable, container["terminationMessagePath"]?.stringValue ?? "/dev/termination-log"))
        }
        var environment = PodEnvironment(template: container["env"]?.arrayValue ?? [])
        environment.setGlue(glueEnvironment)
        try environment.set(settings.extraEnvironment, from: "the glue's settings")
        try environment.set(docker.environment, from: "the task's container.arguments")
        notes += environment.notes
        container["env"] = .array(environment.entries)

        var volumes = spec["volumes"]?.arrayValue ?? []
        var mounts = container["volumeMounts"]?.arrayValue ?? []
        if let shm = docker.sharedMemory {
            volumes = StrategicMerge.mergeList(volumes, [["name": "clearml-shm", "emptyDir": ["medium": "Memory", "sizeLimit": .string(shm)]]], on: "name")
            mounts = StrategicMerge.mergeList(mounts, [["name": "clearml-shm", "mountPath": "/dev/shm"]], on: "mountPath")
        }
        for (index, mount) in docker.hostMounts.enumerated() {
            let volume = "clearml-host-\(index)"
            volumes.append(["name": .string(volume), "hostPath": ["path": .string(mount.hostPath)]])
            mounts = StrategicMerge.mergeList(mounts, [["name": .string(volume), "mountPath": .string(mount.containerPath), "readOnly": .bool(mount.readOnly)]], on: "mountPath")
        }
        if settings.podClearMLConf != nil {
            // optional: false, so the kubelet holds the container until the glue has created the Secret.
            let volume = PodRenderSettings.podClearMLConfVolume
            volumes = StrategicMerge.mergeList(volumes, [["name": .string(volume), "secret": [
                "secretName": .string(PodRenderSettings.podClearMLConfSecretName(pod: name)), "optional": false,
                "items": [["key": .string(PodRenderSettings.podClearMLConfKey), "path": .string(PodRenderSettings.podClearMLConfKey)]],
            ]]], on: "name")
            let directory = String(PodRenderSettings.podClearMLConfPath.dropLast(PodRenderSettings.podClearMLConfKey.count + 1))
            mounts = StrategicMerge.mergeList(mounts, [["name": .string(volume), "mountPath": .string(directory), "readOnly": true]], on: "mountPath")
        }
        if let gpus, gpus > 0 {
            container.set(.string("\(gpus)"), at: ["resources", "limits", "nvidia.com/gpu"])
        } else if docker.gpusAll, queue.gpus == nil, !settings.cpuOnly {
            notes.append("--gpus all: this queue has no GPU count configured, so no GPUs are requested")
        }

        if settings.agentMode != .imageEntrypoint {
            let script = StartScript.render(taskID: task.id, mode: settings.agentMode, executeArguments: settings.executeArguments,
                                            extraInit: settings.extraInit, setupShellScript: try StartScript.checkedSetupScript(task.setupShellScript))
            container["command"] = ["/bin/bash", "-c"]
            container["args"] = [.string(StartScript.bootstrap(script: script, path: settings.startScriptPath))]
        }
        if case .injected(let agentImage) = settings.agentMode {
            volumes = StrategicMerge.mergeList(volumes, [["name": .string(AgentMode.agentVolume), "emptyDir": [:]]], on: "name")
            let mount: JSONValue = ["name": .string(AgentMode.agentVolume), "mountPath": .string(AgentMode.agentDirectory)]
            mounts = StrategicMerge.mergeList(mounts, [mount], on: "mountPath")
            let installer: JSONValue = [
                "name": "clearml-agent-install", "image": .string(agentImage),
                "command": ["sh", "-c", .string(AgentMode.installCommand(from: settings.injectedAgentPath))],
                "volumeMounts": [mount],
                "securityContext": AgentMode.installerSecurityContext,
                "terminationMessagePolicy": "FallbackToLogsOnError",
            ]
            spec["initContainers"] = .array(StrategicMerge.mergeList(spec["initContainers"]?.arrayValue ?? [], [installer], on: "name"))
        }
        if !mounts.isEmpty { container["volumeMounts"] = .array(mounts) }
        if !volumes.isEmpty { spec["volumes"] = .array(volumes) }

        if containers.isEmpty { containers = [container] } else { containers[0] = container }
        spec["containers"] = .array(containers)
        manifest.set(spec, at: podPath + ["spec"])
        return RenderedPod(name: name, namespace: namespace, manifest: manifest, notes: notes)
    }

    /// Task pods get their own account and no API token unless the template asks for one: the glue's
    /// account can create pods, a task must not inherit that.
    private static func applyServiceAccount(_ spec: inout JSONValue, settings: PodRenderSettings) throws(RenderError) {
        if let account = settings.taskServiceAccount { spec["serviceAccountName"] = .string(account) }
        if let glue = settings.glueServiceAccount, spec["serviceAccountName"]?.stringValue == glue {
            throw RenderError("the pod template runs task pods as '\(glue)', the glue's own service account; give task pods their own (taskServiceAccount)")
        }
        if spec["automountServiceAccountToken"] == nil { spec["automountServiceAccountToken"] = false }
    }

    private static func env(_ name: String, _ value: String) -> JSONValue { ["name": .string(name), "value": .string(value)] }
}
