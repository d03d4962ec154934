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
        #expect(initContainer["command"] == ["sh", "-c", "cp -a /opt/clearml-glue/. /clearml-agent/"])
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

    @Test func taskPodsNeverRunAsTheGluesServiceAccount() {
        var settings = self.settings
        settings.glueServiceAccount = "clearml-glue"
        #expect(throws: RenderError.self) {
            _ = try PodRenderer.render(task: task, queue: QueuePodSettings(), baseTemplate: ["spec": ["serviceAccountName": "clearml-glue"]], settings: settings)
        }
        settings.taskServiceAccount = "clearml-task"
        let pod = try? PodRenderer.render(task: task, queue: QueuePodSettings(), baseTemplate: ["spec": ["serviceAccountName": "clearml-glue"]], settings: settings)
        #expect(pod?.manifest.value(at: "spec.serviceAccountName") == "clearml-task")
    }

    @Test func unparsableContainerArgumentsFailOnlyThisTask() {
        var task = self.task
        task.dockerArguments = "-e 'unterminated"
        #expect(throws: RenderError.self) { try PodRenderer.render(task: task, queue: QueuePodSettings(), baseTemplate: nil, settings: settings) }
    }
}

@Suite struct AgentInstallCommandTests {
    @Test(arguments: [
        ("/opt/clearml-glue/bin/clearml-glue", "cp -a /opt/clearml-glue/. /clearml-agent/"),
        ("/work/.build/debug/clearml-glue", "mkdir -p /clearml-agent/bin && cp /work/.build/debug/clearml-glue /clearml-agent/bin/clearml-glue"),
        ("/opt/my dir/bin/clearml-glue", "cp -a '/opt/my dir/.' /clearml-agent/"),
    ])
    func bundleIsCopiedWholeAndALoneBinaryIntoBin(source: String, expected: String) {
        #expect(AgentMode.installCommand(from: source) == expected)
    }
}
