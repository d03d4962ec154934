import ClearMLConfig
import Foundation
import JSONValue
import KubeAPI
import Testing
@testable import Glue

/// What a task's fields become in its pod (issue 16). The two regression cases are the task a user made
/// with the clearml SDK: `Task.create(docker="python:3.11-slim; rm -rf /", docker_args="... -e
/// CLEARML_API_SECRET_KEY=other ...")`. The SDK's `set_base_docker` (clearml `backend_interface/task/
/// task.py`) keeps the first space-separated word of `docker` as `container.image` and the arguments
/// as given; the API server's env rule is k/k `pkg/apis/core/validation validateEnvVarValueFrom`.
@Suite(.timeLimit(.minutes(1))) struct TaskFieldsTests {
    static let id = "aabbccddeeff00112233445566778899"
    var settings = PodRenderSettings(workerID: "k8s-glue", agentMode: .injected(image: "clearml-glue:1"), defaultImage: "python:3.11",
                                     apiServer: "http://api:8008", webServer: "http://web:8080", filesServer: "http://files:8081")

    init() { settings.credentialsSecret = "clearml-credentials" }

    func render(_ container: JSONValue, template: JSONValue? = nil) throws(RenderError) -> RenderedPod {
        let task = try PodTask(document: ["id": .string(Self.id), "container": container], queueID: "q1", queueName: "cpu")
        return try PodRenderer.render(task: task, queue: QueuePodSettings(), baseTemplate: template, settings: settings)
    }

    static func container(_ pod: RenderedPod) -> JSONValue { pod.manifest.value(at: "spec.containers")?.arrayValue?.first ?? [:] }
    static func env(_ pod: RenderedPod) -> [JSONValue] { container(pod)["env"]?.arrayValue ?? [] }

    @Test func theSDKsImageWithAShellTailFailsWithTheGrammarsReason() {
        let sdk: JSONValue = ["image": "python:3.11-slim;", "arguments": "--shm-size 1g -e CLEARML_API_SECRET_KEY=other -e A=1", "setup_shell_script": ""]
        #expect(throws: RenderError(#"invalid image reference "python:3.11-slim;" (invalid reference format); fix the task's container.image"#)) {
            try render(sdk)
        }
        // The same text typed into the image field whole: the first word is the image, as the SDK splits it.
        #expect(throws: RenderError(#"invalid image reference "python:3.11-slim;" (invalid reference format); fix the task's container.image"#)) {
            try render(["image": "python:3.11-slim; rm -rf /"])
        }
    }

    @Test func theTasksSecretKeyNeverMeetsTheGluesSecretKeyRef() throws {
        let pod = try render(["image": "python:3.11-slim", "arguments": "--shm-size 1g -e CLEARML_API_SECRET_KEY=other -e A=1"])
        let env = Self.env(pod)
        let secret = env.filter { $0["name"] == "CLEARML_API_SECRET_KEY" }
        #expect(secret == [["name": "CLEARML_API_SECRET_KEY", "valueFrom": ["secretKeyRef": ["name": "clearml-credentials", "key": "CLEARML_API_SECRET_KEY"]]]])
        #expect(env.allSatisfy { $0["value"] == nil || $0["valueFrom"] == nil })
        #expect(env.first { $0["name"] == "A" } == ["name": "A", "value": "1"])
        #expect(pod.notes.contains("the task's container.arguments sets CLEARML_API_SECRET_KEY, which only the glue sets: ignored"))
    }

    @Test func reservedVariablesStayTheGluesAndTheRestReplaceWholeLastWins() throws {
        let template: JSONValue = ["spec": ["containers": [["name": "main", "env": [
            ["name": "HF_TOKEN", "valueFrom": ["secretKeyRef": ["name": "hf", "key": "token"]]],
            ["name": "CLEARML_API_ACCESS_KEY", "value": "template-literal"],
        ]]]]]
        let arguments = "-e CLEARML_TASK_ID=x -e CLEARML_WORKER_ID=y -e CLEARML_GLUE_AGENT_DIR=/tmp -e CLEARML_API_ACCESS_KEY=k "
            + "-e HF_TOKEN=mine -e CLEARML_API_HOST=http://other -e A=1 --env A=2 --env=A=3"
        let env = Self.env(try render(["image": "python:3.11-slim", "arguments": .string(arguments)], template: template))
        func entries(_ name: String) -> [JSONValue] { env.filter { $0["name"] == .string(name) } }
        #expect(entries("CLEARML_TASK_ID") == [["name": "CLEARML_TASK_ID", "value": .string(Self.id)]])
        #expect(entries("CLEARML_WORKER_ID") == [["name": "CLEARML_WORKER_ID", "value": .string("k8s-glue:\(Self.id)")]])
        #expect(entries("CLEARML_GLUE_AGENT_DIR") == [["name": "CLEARML_GLUE_AGENT_DIR", "value": "/clearml-agent"]])
        // The glue's secretKeyRef replaces the template's literal whole, and the task cannot change it.
        #expect(entries("CLEARML_API_ACCESS_KEY") == [["name": "CLEARML_API_ACCESS_KEY", "valueFrom": ["secretKeyRef": ["name": "clearml-credentials", "key": "CLEARML_API_ACCESS_KEY"]]]])
        // The task's value replaces the template's valueFrom whole, in its place (first in the list).
        #expect(env.first == ["name": "HF_TOKEN", "value": "mine"])
        #expect(entries("CLEARML_API_HOST") == [["name": "CLEARML_API_HOST", "value": "http://other"]])
        #expect(entries("A") == [["name": "A", "value": "3"]])
        #expect(Set(env.compactMap { $0["name"]?.stringValue }).count == env.count)
    }

    @Test func envValuesKeepNewlinesAndANULFailsNamingTheVariable() throws {
        let env = Self.env(try render(["image": "python:3.11", "arguments": ["-e", "MULTI=a\nb"]]))
        #expect(env.first { $0["name"] == "MULTI" }?["value"] == "a\nb")
        #expect(throws: RenderError("the task's container.arguments: the value of environment variable BAD contains a NUL character, which no process environment can hold; remove it")) {
            try render(["image": "python:3.11", "arguments": ["-e", "BAD=a\u{0}b"]])
        }
        let pod = try render(["image": "python:3.11", "arguments": ["-e", "1X=a", "-e", "A B=c", "-e", "É=1"]])
        #expect(Self.env(pod).allSatisfy { !["1X", "A B", "É"].contains($0["name"]?.stringValue ?? "") })
        #expect(pod.notes.filter { $0.contains("environment variable names are") }.count == 3)
    }

    @Test(arguments: [
        ("  python:3.11  \n", "python:3.11", nil as String?),
        ("python:3.11 --env X=1", "python:3.11", "X"),
        ("python:3.11\t-e X=1", "python:3.11", "X"),
    ])
    func imageIsTrimmedAndItsTrailingArgumentsUsedAsTheSDKSplitsThem(field: String, image: String, variable: String?) throws {
        let pod = try render(["image": .string(field)])
        #expect(Self.container(pod)["image"] == .string(image))
        if let variable { #expect(Self.env(pod).contains { $0["name"] == .string(variable) }) }
        // With arguments of its own, the words after the image are ignored, and the task hears it.
        let both = try render(["image": "python:3.11 --env X=1", "arguments": "-e Y=2"])
        #expect(!Self.env(both).contains { $0["name"] == "X" })
        #expect(both.notes.contains { $0.contains("were ignored because container.arguments is set") })
    }

    @Test func theOldDockerCmdFieldIsSplitLikeAShellLine() throws {
        let task = try PodTask(document: ["id": .string(Self.id), "execution": ["docker_cmd": "nvidia/cuda:12 -e A='x y'"]], queueID: "q", queueName: "q")
        #expect(task.image == "nvidia/cuda:12" && task.imageField == "execution.docker_cmd")
        #expect(task.dockerArguments == "-e 'A=x y'")
        let bad = try PodTask(document: ["id": .string(Self.id), "execution": ["docker_cmd": "nvidia/CUDA"]], queueID: "q", queueName: "q")
        #expect(throws: RenderError(#"invalid image reference "nvidia/CUDA" (invalid reference format: repository name (nvidia/CUDA) must be lowercase); fix the task's execution.docker_cmd"#)) {
            try PodRenderer.render(task: bad, queue: QueuePodSettings(), baseTemplate: nil, settings: settings)
        }
    }

    @Test(arguments: [
        (["container": "python"] as JSONValue, "container field"),
        (["container": ["image": 5]] as JSONValue, "container.image must be text"),
        (["container": ["image": "python", "arguments": ["-e", 1]]] as JSONValue, "container.arguments[1] must be text"),
        (["container": ["image": "python", "arguments": ["a": 1]]] as JSONValue, "container.arguments must be text"),
        (["container": ["image": "python", "setup_shell_script": ["apt"]]] as JSONValue, "container.setup_shell_script must be text"),
        (["execution": ["docker_cmd": 3]] as JSONValue, "execution.docker_cmd must be text"),
    ])
    func fieldsOfTheWrongTypeFailNamingTheField(fields: JSONValue, message: String) {
        var document = fields
        document["id"] = .string(Self.id)
        #expect { _ = try PodTask(document: document, queueID: "q", queueName: "q") } throws: { "\($0)".contains(message) }
    }

    @Test func aSetupScriptTooLargeForTheCommandLineOrHoldingANULFails() throws {
        let limit = StartScript.maximumSetupScriptBytes
        _ = try render(["image": "python:3.11", "setup_shell_script": .string(String(repeating: "é", count: limit / 2))])
        #expect { try render(["image": "python:3.11", "setup_shell_script": .string(String(repeating: "x", count: limit + 1))]) } throws: {
            "\($0)".contains("container.setup_shell_script is \(limit + 1) bytes")
        }
        #expect { try render(["image": "python:3.11", "setup_shell_script": "echo a\u{0}b"]) } throws: { "\($0)".contains("container.setup_shell_script contains a NUL") }
    }

    @Test func volumesWithBackstepsAndSizesDockerWouldTake() {
        let args = DockerArguments(["-v", "/data/../etc:/x", "-v", "/data/a:/b/../c", "-v", "/data/a:/clearml-agent/bin", "-v", "/data/a:/mnt/a"], allowedHostPaths: ["/data"])
        #expect(args.hostMounts == [DockerArguments.HostMount(hostPath: "/data/a", containerPath: "/mnt/a", readOnly: false)])
        #expect(args.refused.map(\.reason).filter { $0.contains("'..'") }.count == 2)
        #expect(args.refused.contains { $0.reason.contains("/clearml-agent/bin is where the glue mounts") })
        let sizes: [(String, String?)] = [("1.5g", "1536Mi"), ("8GiB", "8Gi"), ("1 g", "1Gi"), ("2p", "2Pi"), ("0", nil), ("0g", nil), ("-1g", nil),
                                          ("99999999999999999999g", nil), ("4097p", nil), ("1.2.3g", nil), ("abc", nil), ("0.0000001k", nil)]
        for (docker, quantity) in sizes { #expect(DockerArguments.quantity(fromDockerSize: docker) == quantity, "\(docker)") }
    }

    @Test func labelsFromUnicodeAndHugeNamesAreValidLabelValues() throws {
        let names = ["队列 GPU", "🙂", "Équipe—ML", String(repeating: "queue-", count: 500), "__a__", "İstanbul", "a.b_c"]
        for name in names {
            let value = KubernetesNames.labelValue(name)
            #expect(value.utf8.count <= 63)
            #expect(value.isEmpty || value.range(of: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", options: .regularExpression) != nil, "\(name) -> \(value)")
        }
        #expect(KubernetesNames.labelValue("队列 GPU") == "gpu")
    }
}
