import Foundation
import JSONValue
import Testing
@testable import Glue

/// The upstream glue/daemon flags that shape task pods: `--gpus` / `--cpu-only` (upstream clearml_agent/interface/
/// worker.py defines them; commands/worker.py turns them into docker `--gpus device=...` or
/// `NVIDIA_VISIBLE_DEVICES=none`) and the credentials Secret's key names an upstream chart's Secret carries.
@Suite(.timeLimit(.minutes(1))) struct UpstreamGlueFlagsTests {
    static let id = "aabbccddeeff00112233445566778899"
    var settings = PodRenderSettings(workerID: "k8s-glue", agentMode: .injected(image: "clearml-glue:1"), defaultImage: "python:3.11",
                                     apiServer: "http://api:8008", webServer: "http://web:8080", filesServer: "http://files:8081")

    init() { settings.credentialsSecret = "clearml-credentials" }

    func render(_ settings: PodRenderSettings, queue: QueuePodSettings = QueuePodSettings(), docker: String? = nil) throws -> JSONValue {
        let task = PodTask(id: Self.id, queueID: "Q1D", queueName: "q", image: "python:3.11", dockerArguments: docker)
        let pod = try PodRenderer.render(task: task, queue: queue, baseTemplate: nil, settings: settings)
        return try #require(pod.manifest.value(at: "spec.containers")?.arrayValue?.first)
    }

    func gpuLimit(_ container: JSONValue) -> String? { container.value(at: "resources.limits")?["nvidia.com/gpu"]?.stringValue }
    func env(_ container: JSONValue, _ name: String) -> JSONValue? { container["env"]?.arrayValue?.first { $0["name"]?.stringValue == name } }

    @Test func gpusValuesAreReadAsUpstreamWritesThem() throws {
        #expect(try GPUSelection.parse("0") == .count(1))
        #expect(try GPUSelection.parse("0,1,2") == .count(3))
        #expect(try GPUSelection.parse("0-7") == .count(8))
        #expect(try GPUSelection.parse("0-1,4") == .count(3))
        #expect(try GPUSelection.parse("0:0,0:1,1:0") == .count(3))  // MIG slices
        #expect(try GPUSelection.parse("\"0,1\"") == .count(2))
        #expect(try GPUSelection.parse("all") == .all)
        #expect(try GPUSelection.parse("none") == GPUSelection.none)
        for bad in ["", "two", "3-1", "0,,1", "-1"] {
            #expect(throws: GPUSelection.Invalid.self, "\(bad)") { try GPUSelection.parse(bad) }
        }
    }

    @Test func gpusGivesTaskPodsADefaultLimitThatQueuesAndTasksOverride() throws {
        var withDefault = settings
        withDefault.defaultGPUs = 2
        #expect(gpuLimit(try render(withDefault)) == "2")
        #expect(gpuLimit(try render(withDefault, queue: QueuePodSettings(gpus: 1))) == "1")
        #expect(gpuLimit(try render(withDefault, docker: "--gpus 4")) == "4")
        #expect(gpuLimit(try render(settings)) == nil)
        #expect(env(try render(withDefault), "NVIDIA_VISIBLE_DEVICES") == nil)
    }

    @Test func cpuOnlyGivesNoGPUWhateverTheTaskAsks() throws {
        var cpuOnly = settings
        cpuOnly.cpuOnly = true
        for docker in [nil, "--gpus 1", "--gpus all"] {
            let container = try render(cpuOnly, docker: docker)
            #expect(gpuLimit(container) == nil, "\(docker ?? "no arguments")")
            #expect(env(container, "NVIDIA_VISIBLE_DEVICES")?["value"] == "none")
        }
    }

    @Test func taskPodsReadTheConfiguredKeysOfTheCredentialsSecret() throws {
        #expect(env(try render(settings), "CLEARML_API_ACCESS_KEY")?.value(at: "valueFrom.secretKeyRef.key") == "CLEARML_API_ACCESS_KEY")
        var upstream = settings
        upstream.credentialsSecretKeys = (accessKey: "agentk8sglue_key", secretKey: "agentk8sglue_secret")
        let container = try render(upstream)
        #expect(env(container, "CLEARML_API_ACCESS_KEY")?.value(at: "valueFrom.secretKeyRef") == ["name": "clearml-credentials", "key": "agentk8sglue_key"])
        #expect(env(container, "CLEARML_API_SECRET_KEY")?.value(at: "valueFrom.secretKeyRef") == ["name": "clearml-credentials", "key": "agentk8sglue_secret"])
        #expect(!(container["env"]?.encodedString().contains("\"value\":\"agentk8sglue") ?? true))
    }
}
