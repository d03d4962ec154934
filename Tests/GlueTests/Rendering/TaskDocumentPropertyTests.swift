import ClearMLConfig
import DevCluster
import DevClusterTesting
import Foundation
import GlueTestSupport
import JSONValue
import KubeAPI
import Testing
@testable import Glue

/// Whatever a task document holds, rendering it gives either a pod the embedded cluster's API server
/// accepts (server-side dry run, strict field validation: names, labels, quantities, env entries) whose
/// image a kubelet can parse (distribution/reference), or a `RenderError` naming the task field at fault.
/// Never a crash. The documents come from a fixed seed, printed; `GLUE_TEST_SEED=<n>` replays another.
@Suite(.timeLimit(.minutes(3))) struct TaskDocumentPropertyTests {
    static let count = 3000
    static let fixedSeed: UInt64 = 16

    /// Words a failure must contain: the task field it is about.
    static let fieldNames = ["container.image", "container.arguments", "container.setup_shell_script", "execution.docker_cmd", "container field", "task's id"]

    @Test func everyTaskDocumentRendersAValidPodOrFailsNamingTheField() async throws {
        let given = ProcessInfo.processInfo.environment["GLUE_TEST_SEED"].flatMap { UInt64($0) }
        var random = SeededRandom(seed: given ?? Self.fixedSeed)
        print("TaskDocumentPropertyTests: seed \(random.seed) (replay with GLUE_TEST_SEED=\(random.seed))")
        var generator = TaskDocumentGenerator()
        var rendered: [(index: Int, kind: PodRenderSettings.Kind, pod: RenderedPod)] = []
        var failures = 0
        for index in 0..<Self.count {
            let (document, queueName) = generator.document(&random)
            let settings = generator.settings(&random)
            do {
                let task = try PodTask(document: document, queueID: "q\(index)", queueName: queueName)
                let pod = try PodRenderer.render(task: task, queue: QueuePodSettings(), baseTemplate: generator.template(&random, kind: settings.kind), settings: settings)
                try Self.checkLocally(pod, document: document, index: index)
                rendered.append((index, settings.kind, pod))
            } catch let error as RenderError {
                failures += 1
                #expect(Self.fieldNames.contains { error.description.contains($0) }, "document \(index) (seed \(random.seed)): \(error)")
                #expect(!error.description.contains("\n") && error.description.utf8.count < 2000, "document \(index): message not one short line")
            }
        }
        print("TaskDocumentPropertyTests: \(rendered.count) pods rendered, \(failures) render failures")
        #expect(rendered.count > Self.count / 3 && failures > Self.count / 10, "the generator should exercise both outcomes")

        let refusals = try await withCluster { _, kube in
            try await createIfAbsent(kube, .namespaces, namespace: nil, ["metadata": ["name": "clearml"]])
            return try await Self.dryRun(rendered, kube: kube)
        }
        #expect(refusals.isEmpty, "\(refusals.count) rendered pods refused by the API server, e.g. \(refusals.prefix(3))")
    }

    /// The dry run can fail: the pod the glue rendered before issue 16 (the task's value merged into the
    /// glue's secretKeyRef entry) is the API server's 422.
    @Test func theDryRunRefusesAnEntryWithValueAndValueFrom() async throws {
        var pod = podManifest("merged")
        pod[path: "spec", "containers"] = [["name": "main", "image": "python:3.11-slim", "command": ["true"], "env": [
            ["name": "CLEARML_API_SECRET_KEY", "value": "other", "valueFrom": ["secretKeyRef": ["name": "s", "key": "k"]]],
        ]]]
        let message = try await withCluster { _, kube in
            do {
                _ = try await kube.create(.pods, pod, options: WriteOptions(fieldValidation: .strict, dryRun: true))
                return nil as String?
            } catch let error as KubeError where error.kind == .invalid { return error.message }
        }
        #expect(message?.contains("spec.containers[0].env[0].valueFrom: Invalid value: \"\": may not be specified when `value` is not empty") == true, "\(message ?? "accepted")")
    }

    /// What the API server leaves to the kubelet or the runtime, checked here.
    static func checkLocally(_ pod: RenderedPod, document: JSONValue, index: Int) throws {
        let spec = pod.manifest[path: "spec", "template", "spec"] ?? pod.manifest["spec"] ?? [:]
        for container in (spec["containers"]?.arrayValue ?? []) + (spec["initContainers"]?.arrayValue ?? []) {
            let image = container["image"]?.stringValue ?? ""
            if case .failure(let error) = ImageReference.parse(image) { Issue.record("document \(index): image \(image) is invalid: \(error)") }
            for entry in container["env"]?.arrayValue ?? [] {
                #expect(entry["value"] == nil || entry["valueFrom"] == nil, "document \(index): \(entry)")
                #expect(entry["value"]?.stringValue?.unicodeScalars.contains("\0") != true, "document \(index): NUL in \(entry["name"] ?? .null)")
            }
            for argument in container["args"]?.arrayValue ?? [] {
                #expect((argument.stringValue?.utf8.count ?? 0) < 128 * 1024, "document \(index): an argument Linux would not exec")
            }
        }
    }

    static func dryRun(_ pods: [(index: Int, kind: PodRenderSettings.Kind, pod: RenderedPod)], kube: KubeClient) async throws -> [String] {
        try await withThrowingTaskGroup(of: String?.self) { group in
            var refusals: [String] = []
            var next = 0
            func add() {
                guard next < pods.count else { return }
                let item = pods[next]
                next += 1
                group.addTask {
                    do {
                        _ = try await kube.create(item.kind == .job ? .jobs : .pods, namespace: item.pod.namespace, item.pod.manifest,
                                                  options: WriteOptions(fieldValidation: .strict, dryRun: true))
                        return nil
                    } catch let error as KubeError where error.kind != .alreadyExists {
                        return "document \(item.index): \(error.message)"
                    }
                }
            }
            for _ in 0..<8 { add() }
            while let result = try await group.next() {
                if let result { refusals.append(result) }
                add()
            }
            return refusals
        }
    }
}

/// Random and adversarial task documents: valid ones, and fields that are empty, huge, unicode, of the
/// wrong JSON type, or full of shell metacharacters.
struct TaskDocumentGenerator {
    static let hex = Array("0123456789abcdef")
    static let oddText = ["", " ", "é", "队列", "🙂", "\n", "a\nb", "\0", "$(rm -rf /)", "`id`", "; rm -rf /", "'", "\"", "\\", "|&><*?~#",
                          "${HOME}", "\u{202E}evil", "\r\n", "\t", "=", "==", "-", "--"]
    static let images = ["python:3.11-slim", "nvidia/cuda:12.4.1-runtime-ubuntu22.04", "localhost:5000/a/b:tag", "ghcr.io/owner/img:1",
                         "registry.example.com:443/team/app@sha256:" + String(repeating: "ab", count: 32), "busybox", "[::1]:5000/foo/bar:latest",
                         "  python:3.11  ", "python:3.11 --env X=1", "python:3.11-slim; rm -rf /", "Python:3", "foo:", "a/B", "python:3.11\n-e A=1",
                         "foo@sha256:abc", String(repeating: "a", count: 64 * 4), "UPPER/foo", "-foo", "foo//bar", ":tag"]
    static let flags = ["-e", "--env", "--shm-size", "--gpus", "-v", "--volume", "--privileged", "--cap-add", "--rm", "-it", "--network",
                        "--ipc", "--label", "--foo", "-m", "--memory", "--user", "--mount", "--entrypoint"]
    static let names = ["A", "HF_TOKEN", "CLEARML_API_SECRET_KEY", "CLEARML_API_ACCESS_KEY", "CLEARML_TASK_ID", "CLEARML_WORKER_ID",
                        "CLEARML_GLUE_AGENT_DIR", "CLEARML_API_HOST", "CLEARML_GLUE_TERMINATION_LOG", "1X", "A B", "É", "a.b-c", "", "_"]
    static let sizes = ["1g", "1.5g", "0", "-1g", "99999999999999999999g", "abc", "8GiB", "1 g", "512m", "2p", "4097p", "1e3", "0.5k", ""]
    static let paths = ["/data/x:/mnt/x", "/data/../etc:/x", "/data:/clearml-agent", "/data:/dev/shm", "/data/a:/b/../c", "/etc:/etc",
                        "named:/z", "/data/x:/mnt/x:ro", "/data:/mnt/é", ":", "/data/x:relative"]

    func pick<T>(_ list: [T], _ random: inout SeededRandom) -> T { list[Int.random(in: 0..<list.count, using: &random)] }
    func chance(_ percent: Int, _ random: inout SeededRandom) -> Bool { Int.random(in: 0..<100, using: &random) < percent }

    func text(_ random: inout SeededRandom, maxLength: Int = 40) -> String {
        if chance(40, &random) { return pick(Self.oddText, &random) }
        let length = Int.random(in: 0...maxLength, using: &random)
        var out = ""
        for _ in 0..<length {
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<6: out.append(Character(UnicodeScalar(UInt8.random(in: 0x21...0x7E, using: &random))))
            case 6: out.append(pick(["é", "队", "🙂", "\u{0301}", "ß", "İ"], &random))
            case 7: out.append(pick([" ", "\n", "\t"], &random))
            default: out.append(pick(Array("abcxyz019-_."), &random))
            }
        }
        return out
    }

    func wrongType(_ random: inout SeededRandom) -> JSONValue {
        pick([.int(5), .bool(true), .array(["a"]), ["k": "v"], .null, .double(1.5), .array([.int(1)])], &random)
    }

    func image(_ random: inout SeededRandom) -> JSONValue {
        switch Int.random(in: 0..<20, using: &random) {
        case 0: return wrongType(&random)
        case 1: return .string(text(&random))
        case 2: return .string(String(repeating: "x", count: Int.random(in: 200...6000, using: &random)))
        case 3..<6:
            var base = pick(Self.images, &random)
            base.insert(contentsOf: pick(Self.oddText, &random), at: base.index(base.startIndex, offsetBy: Int.random(in: 0...base.count, using: &random)))
            return .string(base)
        default: return .string(pick(Self.images, &random))
        }
    }

    func argumentWords(_ random: inout SeededRandom) -> [String] {
        var words: [String] = []
        for _ in 0..<Int.random(in: 0...6, using: &random) {
            let flag = pick(Self.flags, &random)
            switch flag {
            case "-e", "--env":
                let value = chance(3, &random) ? String(repeating: "v", count: 20000) : text(&random)
                let pair = pick(Self.names, &random) + (chance(90, &random) ? "=" + value : "")
                if chance(30, &random), flag == "--env" { words.append("--env=" + pair) } else { words += [flag, pair] }
            case "--shm-size": words += [flag, chance(80, &random) ? pick(Self.sizes, &random) : text(&random)]
            case "--gpus": words += [flag, pick(["0", "1", "all", "device=0,1", "\"device=2\"", "-1", "many", "99999999999999999999", ""], &random)]
            case "-v", "--volume": words += [flag, chance(80, &random) ? pick(Self.paths, &random) : text(&random)]
            case "--privileged", "--rm", "-it": words.append(flag)
            default: words += [flag, text(&random)]
            }
        }
        if chance(10, &random) { words.append(text(&random)) }
        return words
    }

    func arguments(_ random: inout SeededRandom) -> JSONValue? {
        switch Int.random(in: 0..<20, using: &random) {
        case 0: return nil
        case 1: return wrongType(&random)
        case 2: return .string(text(&random, maxLength: 80))  // unbalanced quotes and all
        case 3..<8: return .array(argumentWords(&random).map(JSONValue.string))
        default: return .string(ShellWords.join(argumentWords(&random)))
        }
    }

    func setupScript(_ random: inout SeededRandom) -> JSONValue? {
        switch Int.random(in: 0..<40, using: &random) {
        case 0: return wrongType(&random)
        case 1: return .string(String(repeating: "echo huge; ", count: Int.random(in: 5000...12000, using: &random)))
        case 2..<10: return nil
        case 10..<14: return .string("")
        default: return .string((0..<Int.random(in: 1...5, using: &random)).map { _ in text(&random) }.joined(separator: "\n"))
        }
    }

    func taskID(_ random: inout SeededRandom) -> JSONValue {
        switch Int.random(in: 0..<30, using: &random) {
        case 0: return wrongType(&random)
        case 1: return .string(text(&random))
        case 2: return .string(String(repeating: "a", count: 64))
        case 3: return .string("ABCDEF0123456789ABCDEF0123456789")
        default: return .string(String((0..<32).map { _ in pick(Self.hex, &random) }))
        }
    }

    mutating func document(_ random: inout SeededRandom) -> (JSONValue, String) {
        var document: JSONValue = ["id": taskID(&random), "name": .string(text(&random)), "status": "queued"]
        if chance(30, &random) { document["parent"] = chance(80, &random) ? .string(text(&random, maxLength: 100)) : wrongType(&random) }
        switch Int.random(in: 0..<20, using: &random) {
        case 0: document["container"] = wrongType(&random)
        case 1, 2:
            var command = ShellWords.join([pick(Self.images, &random)] + argumentWords(&random))
            if chance(20, &random) { command = text(&random, maxLength: 60) }
            document["execution"] = ["docker_cmd": chance(90, &random) ? .string(command) : wrongType(&random)]
        case 3: document["container"] = [:]
        default:
            var container: JSONValue = [:]
            if chance(85, &random) { container["image"] = image(&random) }
            if let arguments = arguments(&random) { container["arguments"] = arguments }
            if let script = setupScript(&random) { container["setup_shell_script"] = script }
            document["container"] = container
        }
        let queue = chance(20, &random) ? String(repeating: pick(["队列", "q-", "🙂", "_"], &random), count: Int.random(in: 1...200, using: &random)) : text(&random)
        return (document, queue)
    }

    func settings(_ random: inout SeededRandom) -> PodRenderSettings {
        let mode: AgentMode = pick([.injected(image: "clearml-glue:1"), .injected(image: "clearml-glue:1"), .python(installArguments: "==1.9.2"), .imageEntrypoint], &random)
        var settings = PodRenderSettings(workerID: "glue-" + String(Int.random(in: 0...9, using: &random)), agentMode: mode, defaultImage: "python:3.11",
                                         apiServer: "http://api:8008", webServer: "http://web:8080", filesServer: "http://files:8081")
        settings.credentialsSecret = chance(80, &random) ? "clearml-credentials" : nil
        settings.kind = chance(15, &random) ? .job : .pod
        settings.allowedHostPaths = chance(50, &random) ? ["/data"] : []
        settings.extraEnvironment = chance(30, &random) ? [(name: "CLEARML_WORKER_TAGS", value: "a b"), (name: "CLEARML_TASK_ID", value: "x")] : []
        return settings
    }

    /// Templates are the operator's and checked at start; these only give the task's fields something to meet.
    func template(_ random: inout SeededRandom, kind: PodRenderSettings.Kind) -> JSONValue? {
        if kind == .job { return chance(50, &random) ? ["spec": ["template": ["spec": ["containers": [["name": "clearml-task"]]]]]] : nil }
        switch Int.random(in: 0..<4, using: &random) {
        case 0: return nil
        case 1: return ["spec": ["containers": [["name": "main", "env": [["name": "HF_TOKEN", "valueFrom": ["secretKeyRef": ["name": "hf", "key": "t"]]],
                                                                        ["name": "CLEARML_API_SECRET_KEY", "value": "literal"]]]]]]
        case 2: return ["metadata": ["labels": ["team": "ml"]], "spec": ["volumes": [["name": "data", "emptyDir": [:]]],
                                                                       "containers": [["name": "main", "volumeMounts": [["name": "data", "mountPath": "/mnt/x"]]]]]]
        default: return ["spec": ["containers": [["name": "clearml-task", "terminationMessagePath": "/tmp/reason"]]]]
        }
    }
}
