import Foundation
import JSONValue
import Testing
@testable import Glue

@Suite struct PodRendererTests {
    static let id = "aabbccddeeff00112233445566778899"
    var settings = PodRenderSettings(workerID: "k8s-glue", agentMode: .injected(image: "clearml-glue:1"), defaultImage: "python:3.11",
                                     apiServer: "http://api:8008", webServer: "http://web:8080", filesServer: "http://files:8081")
    let task = PodTask(id: id, parentID: "PARENT1", queueID: "Q1D", queueName: "GPU Queue", image: "pytorch/pytorch:2",
                       dockerArguments: "-e A=1 --shm-size 2g --privileged", setupShellScript: "apt-get install -y jq")

    init() { settings.credentialsSecret = "clearml-credentials" }

    @Test func podCarriesNameLabelsImageEnvAndNoSecretLiteral() throws {
        let template: JSONValue = ["metadata": ["labels": ["team": "ml"]], "spec": ["containers": [["name": "main", "resources": ["limits": ["cpu": "1"]], "env": [["name": "A", "value": "0"]]]]]]
        let pod = try PodRenderer.render(task: task, queue: QueuePodSettings(), baseTemplate: template, settings: settings)
        let m = pod.manifest
        #expect(pod.name == "clearml-id-" + Self.id)
        #expect(m["apiVersion"] == "v1" && m["kind"] == "Pod")
        #expect(m.value(at: "metadata.namespace") == "clearml")
        let labels = m.value(at: "metadata.labels")
        #expect(labels?["team"] == "ml")
        #expect(labels?["CLEARML"]?.stringValue?.hasPrefix("agent-") == true)
        #expect(labels?["clearml-agent-queue-name"] == "gpu-queue")
        #expect(labels?["clearml-task-id"] == .string(Self.id))
        #expect(labels?["clearml-parent-task-id"] == "parent1")
        #expect(m.value(at: "spec.restartPolicy") == "Never")
        #expect(m.value(at: "spec.automountServiceAccountToken") == false)
        let container = try #require(m.value(at: "spec.containers")?.arrayValue?.first)
        #expect(container["name"] == "main")
        #expect(container["image"] == "pytorch/pytorch:2")
        #expect(container.value(at: "resources.limits.cpu") == "1")
        let env = container["env"]?.arrayValue ?? []
        #expect(env.first { $0["name"] == "A" }?["value"] == "1")  // the task's -e wins over the template
        #expect(env.first { $0["name"] == "CLEARML_WORKER_ID" }?["value"] == .string("k8s-glue:\(Self.id)"))
        let secret = env.first { $0["name"] == "CLEARML_API_SECRET_KEY" }
        #expect(secret?["value"] == nil)
        #expect(secret?.value(at: "valueFrom.secretKeyRef.name") == "clearml-credentials")
        #expect(pod.notes.contains { $0.contains("--privileged") })
        #expect(container["volumeMounts"]?.arrayValue?.contains { $0["mountPath"] == "/dev/shm" } == true)
    }

    @Test func startScriptIsWrittenToTheConfiguredPathAndRunsTheInjectedAgent() throws {
        var settings = self.settings
        settings.startScriptPath = "~/scripts/__start_agent__.sh"
        let pod = try PodRenderer.render(task: task, queue: QueuePodSettings(), baseTemplate: nil, settings: settings)
        let container = try #require(pod.manifest.value(at: "spec.containers")?.arrayValue?.first)
        #expect(container["command"] == ["/bin/bash", "-c"])
        let bootstrap = try #require(container["args"]?.arrayValue?.first?.stringValue)
        #expect(bootstrap.contains("\"$HOME/scripts/__start_agent__.sh\""))
        let encoded = try #require(bootstrap.split(separator: "'").dropFirst(3).first)
        let script = String(decoding: try #require(Data(base64Encoded: String(encoded))), as: UTF8.self)
        #expect(script.contains("apt-get install -y jq"))
        #expect(script.hasSuffix("exec \"${CLEARML_GLUE_AGENT_DIR:-/clearml-agent}/bin/clearml-glue\" execute --full-monitoring --require-queue --id \(Self.id)\n"))
        let initContainer = try #require(pod.manifest.value(at: "spec.initContainers")?.arrayValue?.first)
        #expect(initContainer["image"] == "clearml-glue:1")
        #expect(initContainer["command"] == ["sh", "-c", "cp -R /opt/clearml-glue/. /clearml-agent/"])
        #expect(pod.manifest.value(at: "spec.volumes")?.arrayValue?.contains { $0["name"] == "clearml-agent" } == true)
    }

    @Test func queueSettingsOverrideTemplateImageAndGPUs() throws {
        let queue = QueuePodSettings(template: ["spec": ["nodeSelector": ["gpu": "a100"]]], overrides: ["spec": ["priorityClassName": "high"]],
                                     defaultImage: "nvidia/cuda:12", gpus: 2)
        var task = self.task
        task.image = nil
        let pod = try PodRenderer.render(task: task, queue: queue, baseTemplate: ["spec": ["nodeSelector": ["cpu": "x"]]], settings: settings)
        let container = try #require(pod.manifest.value(at: "spec.containers")?.arrayValue?.first)
        #expect(container["image"] == "nvidia/cuda:12")
        #expect(container.value(at: ["resources", "limits", "nvidia.com/gpu"]) == "2")
        #expect(pod.manifest.value(at: "spec.nodeSelector") == ["gpu": "a100"])
        #expect(pod.manifest.value(at: "spec.priorityClassName") == "high")
    }

    @Test func jobTemplatesGetLabelsOnBothLevelsAndNoRetries() throws {
        var settings = self.settings
        settings.kind = .job
        let pod = try PodRenderer.render(task: task, queue: QueuePodSettings(), baseTemplate: ["kind": "Job"], settings: settings)
        #expect(pod.manifest["apiVersion"] == "batch/v1")
        #expect(pod.manifest.value(at: "spec.backoffLimit") == 0)
        #expect(pod.manifest.value(at: "spec.template.metadata.labels.clearml-task-id") == .string(Self.id))
        #expect(pod.manifest.value(at: "metadata.labels.clearml-task-id") == .string(Self.id))
        #expect(pod.manifest.value(at: "spec.template.spec.restartPolicy") == "Never")
    }

    static let badTemplates: [(JSONValue, String)] = [
        (.array([]), "not a YAML/JSON object"),
        (["kind": "Deployment"], "kind is 'Deployment'"),
        (["spec": "oops"], "pod spec is not an object"),
    ]

    @Test(arguments: badTemplates)
    func badTemplatesSayWhatIsWrong(template: JSONValue, message: String) {
        #expect {
            _ = try PodRenderer.render(task: task, queue: QueuePodSettings(), baseTemplate: template, settings: settings)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func taskPodsNeverRunAsTheGluesServiceAccount() throws {
        var settings = self.settings
        settings.glueServiceAccount = "clearml-glue"
        #expect(throws: RenderError.self) {
            _ = try PodRenderer.render(task: task, queue: QueuePodSettings(), baseTemplate: ["spec": ["serviceAccountName": "clearml-glue"]], settings: settings)
        }
        settings.taskServiceAccount = "clearml-task"
        let pod = try PodRenderer.render(task: task, queue: QueuePodSettings(), baseTemplate: ["spec": ["serviceAccountName": "clearml-glue"]], settings: settings)
        #expect(pod.manifest.value(at: "spec.serviceAccountName") == "clearml-task")
    }

    @Test func unparsableContainerArgumentsFailOnlyThisTask() {
        var task = self.task
        task.dockerArguments = "-e 'unterminated"
        #expect(throws: RenderError.self) { try PodRenderer.render(task: task, queue: QueuePodSettings(), baseTemplate: nil, settings: settings) }
    }
}

@Suite struct AgentInstallCommandTests {
    @Test(arguments: [
        ("/opt/clearml-glue/bin/clearml-glue", "cp -R /opt/clearml-glue/. /clearml-agent/"),
        ("/work/.build/debug/clearml-glue", "mkdir -p /clearml-agent/bin && cp /work/.build/debug/clearml-glue /clearml-agent/bin/clearml-glue"),
        ("/opt/my dir/bin/clearml-glue", "cp -R '/opt/my dir/.' /clearml-agent/"),
    ])
    func bundleIsCopiedWholeAndALoneBinaryIntoBin(source: String, expected: String) {
        #expect(AgentMode.installCommand(from: source) == expected)
    }

    /// What Pod Security `restricted` checks on every container (pod-security-admission policy
    /// check_allowPrivilegeEscalation, check_capabilities_restricted, check_runAsNonRoot,
    /// check_seccompProfile_restricted): the init container asks for nothing they forbid.
    @Test func theInstallerPassesPodSecurityRestricted() throws {
        var settings = PodRenderSettings(workerID: "w", agentMode: .injected(image: "clearml-glue:1"), defaultImage: "python:3.11",
                                         apiServer: "https://api", webServer: "https://app", filesServer: "https://files")
        settings.credentialsSecret = "s"
        let pod = try PodRenderer.render(task: PodTask(id: "t1", queueID: "q", queueName: "q"), queue: QueuePodSettings(), baseTemplate: nil, settings: settings)
        let installer = try #require(pod.manifest[path: "spec", "initContainers"]?[0])
        #expect(installer["name"] == "clearml-agent-install")
        let context = try #require(installer["securityContext"])
        #expect(context["allowPrivilegeEscalation"] == false)
        #expect(context[path: "capabilities", "drop"] == ["ALL"])
        #expect(context["runAsNonRoot"] == true)
        #expect(context["runAsUser"]?.intValue.map { $0 > 0 } == true)
        #expect(context[path: "seccompProfile", "type"] == "RuntimeDefault")
    }

    /// As a kubelet runs it: the image's user 10001 copies into an emptyDir that is root-owned 0777.
    /// `cp -a` fails there (`preserving times for '/clearml-agent/.': Operation not permitted`).
    @Test func theCopyWorksAsANonRootUserIntoARootOwnedWorldWritableVolume() throws {
        guard getuid() == 0 else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("CI runs as root; this test needs root to drop to uid 10001") }
            return
        }
        let root = NSTemporaryDirectory() + "agent-copy-" + UUID().uuidString.prefix(8)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let bundle = root + "/opt/clearml-glue"
        let volume = root + "/clearml-agent"
        try FileManager.default.createDirectory(atPath: bundle + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: bundle + "/lib", withIntermediateDirectories: true)
        try "#!/bin/sh\necho agent\n".write(toFile: bundle + "/bin/clearml-glue", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bundle + "/bin/clearml-glue")
        try FileManager.default.createSymbolicLink(atPath: bundle + "/bin/clearml-agent", withDestinationPath: "clearml-glue")
        try "lib".write(toFile: bundle + "/lib/libx.so.1", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: volume, withIntermediateDirectories: true)
        for path in [root, root + "/opt", bundle, bundle + "/bin", bundle + "/lib"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o777, .ownerAccountID: 0, .groupOwnerAccountID: 0], ofItemAtPath: volume)
        let command = AgentMode.installCommand(from: bundle + "/bin/clearml-glue")
            .replacingOccurrences(of: " \(AgentMode.agentDirectory)/", with: " \(volume)/")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=10001", "--regid=10001", "--clear-groups", "sh", "-c", command]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(command): \(stderr)")
        #expect(FileManager.default.isExecutableFile(atPath: volume + "/bin/clearml-glue"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: volume + "/bin/clearml-agent") == "clearml-glue")
        #expect(FileManager.default.fileExists(atPath: volume + "/lib/libx.so.1"))
    }
}

@Suite struct ImageFitTests {
    @Test(arguments: [
        ("alpine:3.20", true), ("python:3.12-alpine", true), ("busybox:1.36", true), ("gcr.io/distroless/python3", true),
        ("nvidia/cuda:12.6.3-cudnn-runtime-ubuntu20.04", false), ("pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime", false),
        ("python:3.11-slim", false), ("registry.example.com:5000/team/alpine-tools:1", false),
    ])
    func imagesWithoutBashAreNamedAtStart(image: String, warned: Bool) {
        #expect((ImageFit.warning(image: image, mode: .injected(image: "clearml-glue:1")) != nil) == warned, "\(image)")
        #expect(ImageFit.warning(image: image, mode: .imageEntrypoint) == nil)
    }
}
