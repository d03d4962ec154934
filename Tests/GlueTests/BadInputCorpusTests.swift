import ClearMLConfig
import DevClusterTesting
import Foundation
@testable import Glue
import GlueTestSupport
import JSONValue
import KubeAPI
import Logging
import Testing

/// Issue #15 item 4: every case of the bad-input corpus (`Tests/Fixtures/bad/MANIFEST`) goes through the
/// parser the glue uses for it, and must end in the outcome the manifest names, without a crash: files are
/// read as `glue` reads them (`GlueConfigurationBuilder`: `TemplateFile`, `QueueConfigFile`; `ConfigLoader`
/// then `ClearMLSettings`; `KubeConfiguration` then `KubeClient`), task documents are rendered as the launcher
/// renders them (`PodTask(document:)`, `PodRenderer.render`), and flags go to the built binary. A pod that
/// renders goes through the glue's start-up check (`TemplateCheck`: a strict server-side dry run) against the
/// embedded cluster, as a template or queue configuration would at start and a task's pod would at create.
///
/// Every refusal must carry the manifest's fragments (what, where, how to fix), stay short (a huge input is
/// not echoed back), and never print a secret the input held.
@Suite(.timeLimit(.minutes(5))) struct BadInputCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/bad")

    struct Case: CustomStringConvertible {
        var file: String
        var kind: String
        var expect: String
        var fragments: [String]
        var description: String { "\(file) (\(kind), \(expect))" }
    }

    enum Outcome {
        case refused(String)
        case accepted(notes: [String], manifest: JSONValue?)
    }

    @Test func everyCaseEndsAsTheManifestSaysWithAnActionableMessage() async throws {
        let cases = try Self.manifest()
        #expect(cases.count >= 150)
        let listed = Set(cases.map(\.file))
        #expect(listed.count == cases.count, "a file is listed twice")
        #expect(Self.corpusFiles() == listed, "files and MANIFEST differ: \(Self.corpusFiles().symmetricDifference(listed).sorted())")

        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("glue-bad-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        try await withCluster { _, kube in
            _ = try? await kube.create(.namespaces, namespace: nil, ["metadata": ["name": "clearml"]])
            for item in cases {
                let path = try Self.materialize(item.file, into: scratch)
                var outcome = try Self.run(item, path: path, scratch: scratch)
                outcome = try await Self.dryRun(item, outcome, path: path, kube: kube)
                Self.check(item, outcome)
            }
        }
    }

    // MARK: - Running one case

    static func run(_ item: Case, path: String, scratch: URL) throws -> Outcome {
        switch item.kind {
        case "conf": return conf(path: path, home: scratch.path)
        case "template": return template(path: path)
        case "queue-config": return queueConfig(path: path)
        case "task": return task(bytes: try Data(contentsOf: URL(fileURLWithPath: path)))
        case "docker-args": return dockerArguments(try String(contentsOfFile: path, encoding: .utf8))
        case "kubeconfig": return kubeconfig(path: path)
        case "flags": return try flags(path: path, scratch: scratch)
        default:
            Issue.record("\(item): unknown kind '\(item.kind)'")
            return .refused("")
        }
    }

    /// A rendered pod meets the API server as the glue sends it: templates and queue configurations through
    /// the start-up check (naming the file), a task's pod as its create would (a dry run here).
    static func dryRun(_ item: Case, _ outcome: Outcome, path: String, kube: KubeClient) async throws -> Outcome {
        guard case .accepted(let notes, let manifest?) = outcome else { return outcome }
        let logger = Logger(label: "bad-input-corpus")
        switch item.kind {
        case "template", "queue-config":
            var configuration = GlueConfiguration(workerID: "bad-input-corpus", queues: [], render: renderSettings(), namespaces: ["clearml"])
            if item.kind == "template" {
                configuration.queues = [ServedQueue(name: "cpu")]
                configuration.baseTemplate = manifest["template"]
                configuration.baseTemplateSource = "--template-yaml \(path)"
            } else {
                let queues = try parseQueueConfig(path: path)
                for name in queues.keys.sorted() {
                    guard let queue = queues[name] else { continue }
                    configuration.queues.append(queue)
                    configuration.queueSources[name] = "--queue-config \(path) queues.\(name)"
                }
            }
            do {
                try await TemplateCheck.verify(configuration, kube: kube, logger: logger)
            } catch {
                return .refused("\(error)")
            }
        default:
            let rendered = RenderedPod(name: manifest.value(at: "metadata.name")?.stringValue ?? "", namespace: "clearml", manifest: manifest, notes: notes)
            if let problem = try await TemplateCheck.refusal(of: rendered, kind: .pod, kube: kube, logger: logger) {
                return .refused("the Kubernetes API refuses the task's pod: \(problem)")
            }
        }
        return outcome
    }

    static func conf(path: String, home: String) -> Outcome {
        do {
            let loaded = try ConfigLoader(environment: [:], homeDirectory: home, configFile: path).load()
            try ClearMLSettings(loaded).validate()
            return .accepted(notes: [], manifest: nil)
        } catch {
            return .refused("\(error)")
        }
    }

    static func template(path: String) -> Outcome {
        do throws(TemplateFile.Failure) {
            let template = try TemplateFile.load(path: path, role: "--template-yaml")
            try TemplateFile.checkTemplate(template, source: "--template-yaml \(path)", expectedKind: .pod)
            guard case .accepted(let notes, _) = render(sampleTask(), queue: QueuePodSettings(), baseTemplate: template) else {
                return render(sampleTask(), queue: QueuePodSettings(), baseTemplate: template)
            }
            return .accepted(notes: notes, manifest: ["template": template])
        } catch {
            return .refused(error.description)
        }
    }

    /// As `GlueConfigurationBuilder` reads `--queue-config` (a relative `templateFile` is the file's sibling).
    static func parseQueueConfig(path: String) throws(TemplateFile.Failure) -> [String: ServedQueue] {
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let document = try TemplateFile.load(path: path, role: "--queue-config")
        return try QueueConfigFile.parse(document, source: "--queue-config \(path)") { file, role throws(TemplateFile.Failure) in
            try TemplateFile.load(path: file.hasPrefix("/") ? file : base + "/" + file, role: role)
        }
    }

    static func queueConfig(path: String) -> Outcome {
        do throws(TemplateFile.Failure) {
            let queues = try parseQueueConfig(path: path)
            var notes: [String] = []
            for name in queues.keys.sorted() {
                guard let queue = queues[name] else { continue }
                if let template = queue.pod.template {
                    try TemplateFile.checkTemplate(template, source: "--queue-config queues.\(name).template", expectedKind: .pod)
                }
                switch render(sampleTask(queueName: name), queue: queue.pod, baseTemplate: nil) {
                case .refused(let message): return .refused(message)
                case .accepted(let more, _): notes += more
                }
            }
            return .accepted(notes: notes, manifest: [:])
        } catch {
            return .refused(error.description)
        }
    }

    /// A task document as the server would answer it: the JSON reader first (a server answer that does not
    /// parse is refused there), then the launcher's reading and rendering.
    static func task(bytes: Data) -> Outcome {
        let document: JSONValue
        do {
            document = try JSONValue.decode(bytes)
        } catch {
            return .refused("the ClearML server's answer is not valid JSON: \(error)")
        }
        do throws(RenderError) {
            return render(try PodTask(document: document, queueID: "0123456789abcdef0123456789abcdef", queueName: "cpu"),
                          queue: QueuePodSettings(), baseTemplate: nil)
        } catch {
            return .refused(error.description)
        }
    }

    static func dockerArguments(_ text: String) -> Outcome {
        var podTask = sampleTask()
        podTask.dockerArguments = text
        return render(podTask, queue: QueuePodSettings(), baseTemplate: nil)
    }

    static func kubeconfig(path: String) -> Outcome {
        do {
            let configuration = try KubeConfiguration.load(kubeconfig: path, environment: [:])
            _ = try KubeClient(configuration: configuration)
            return .accepted(notes: [], manifest: nil)
        } catch {
            return .refused("\(error)")
        }
    }

    /// `clearml-glue glue` with the case's flags (one per line) after the ones every glue needs; the ClearML
    /// server is a closed port, so a case that passes every check fails on the connection instead.
    static func flags(path: String, scratch: URL) throws -> Outcome {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var arguments = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if arguments.last == "" { arguments.removeLast() }
        if arguments == [""] { arguments = [] }
        let base = ["glue", "--agent-image", "example/clearml-glue:1", "--credentials-secret", "creds", "--metrics-address", "off"]
        let home = scratch.appendingPathComponent("home").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let environment = ["HOME": home, "PATH": "/usr/bin:/bin", "CLEARML_API_HOST": "http://127.0.0.1:1",
                           "CLEARML_API_ACCESS_KEY": "a", "CLEARML_API_SECRET_KEY": "SECRET-DO-NOT-ECHO"]
        let result = try BinaryRun.run(base + arguments, environment: environment, scratch: scratch)
        if result.crashed { return .refused("CRASH: exit \(result.status)\n\(result.stderr)") }
        return result.status == 0 ? .accepted(notes: [], manifest: nil) : .refused(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    // MARK: - Rendering

    static let taskID = "4f6c2a9e0b1d4c3aa1b2c3d4e5f60718"

    static func sampleTask(queueName: String = "cpu") -> PodTask {
        PodTask(id: taskID, queueID: "0123456789abcdef0123456789abcdef", queueName: queueName, image: "python:3.11")
    }

    static func renderSettings() -> PodRenderSettings {
        var settings = PodRenderSettings(workerID: "bad-input-corpus", agentMode: .injected(image: "example/clearml-glue:1"),
                                         defaultImage: "python:3.11-slim", apiServer: "http://clearml:8008",
                                         webServer: "http://clearml:8080", filesServer: "http://clearml:8081")
        settings.credentialsSecret = "clearml-credentials"
        return settings
    }

    static func render(_ task: PodTask, queue: QueuePodSettings, baseTemplate: JSONValue?) -> Outcome {
        do throws(RenderError) {
            let rendered = try PodRenderer.render(task: task, queue: queue, baseTemplate: baseTemplate, settings: renderSettings())
            return .accepted(notes: task.notes + rendered.notes, manifest: rendered.manifest)
        } catch {
            return .refused(error.description)
        }
    }

    // MARK: - Checking

    static func check(_ item: Case, _ outcome: Outcome) {
        switch (item.expect, outcome) {
        case ("error", .refused(let message)), ("either", .refused(let message)):
            checkMessage(item, message)
        case ("refused", .accepted(let notes, _)):
            checkMessage(item, notes.joined(separator: "\n"), oneLine: false)
        case ("inert", .accepted(_, let manifest)):
            for payload in item.fragments where !payload.isEmpty {
                for script in shellTexts(manifest) where script.contains(payload) {
                    #expect(isSingleQuoted(payload, in: script), "\(item): '\(payload)' reaches a shell unquoted:\n\(script.prefix(2000))")
                }
            }
        case ("ok", .accepted), ("either", .accepted):
            break
        case ("gap", let outcome):
            // A known gap (listed with the fragments as its description): only "no crash" is asserted.
            if case .refused(let message) = outcome { #expect(!message.hasPrefix("CRASH"), "\(item): \(message.prefix(2000))") }
            print("bad-input corpus, known gap: \(item): \(item.fragments.joined(separator: "; "))")
        case (_, .refused(let message)):
            Issue.record("\(item): refused, but the manifest expects \(item.expect): \(message.prefix(1000))")
        case (_, .accepted(let notes, _)):
            Issue.record("\(item): accepted (notes: \(notes)), but the manifest expects \(item.expect) with \(item.fragments)")
        }
    }

    static func checkMessage(_ item: Case, _ message: String, oneLine: Bool = true) {
        #expect(!message.hasPrefix("CRASH"), "\(item): \(message.prefix(2000))")
        for fragment in item.fragments {
            #expect(message.contains(fragment), "\(item): '\(fragment)' not in: \(message.prefix(1500))")
        }
        #expect(message.utf8.count <= 2000, "\(item): a \(message.utf8.count)-byte message echoes too much of the input: \(message.prefix(300))...")
        #expect(!message.contains("SECRET-DO-NOT-ECHO"), "\(item): a secret is echoed: \(message.prefix(1000))")
        if oneLine, item.kind == "task" || item.kind == "docker-args" {
            // A task's refusal becomes its status reason: one line, whatever the task held.
            #expect(!message.contains("\n") && !message.contains("\u{0}"), "\(item): \(message.debugDescription.prefix(500))")
        }
    }

    /// The texts of the pod that a shell reads: container and init-container command and args.
    static func shellTexts(_ manifest: JSONValue?) -> [String] {
        guard let spec = manifest?["spec"] else { return [] }
        let containers = (spec["containers"]?.arrayValue ?? []) + (spec["initContainers"]?.arrayValue ?? [])
        return containers.flatMap { container in
            ((container["command"]?.arrayValue ?? []) + (container["args"]?.arrayValue ?? [])).compactMap(\.stringValue)
        }
    }

    /// Every occurrence of `payload` in `script` sits inside a single-quoted word (where bash expands nothing).
    static func isSingleQuoted(_ payload: String, in script: String) -> Bool {
        var quoted = false
        var index = script.startIndex
        while index < script.endIndex {
            if script[index...].hasPrefix(payload) {
                if !quoted { return false }
                index = script.index(index, offsetBy: payload.count)
                continue
            }
            if script[index] == "'" { quoted.toggle() }
            index = script.index(after: index)
        }
        return true
    }

    // MARK: - The corpus

    static func manifest() throws -> [Case] {
        let text = try String(contentsOf: corpus.appendingPathComponent("MANIFEST"), encoding: .utf8)
        var cases: [Case] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let fields = line.components(separatedBy: " | ")
            guard fields.count == 4 else {
                Issue.record("MANIFEST line is not 'file | kind | expect | fragments': \(line)")
                continue
            }
            let fragments = fields[3].components(separatedBy: ";;").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            cases.append(Case(file: fields[0], kind: fields[1], expect: fields[2], fragments: fragments))
        }
        return cases
    }

    static func corpusFiles() -> Set<String> {
        let root = corpus.path
        let all = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        return Set(all.filter { path in
            var directory: ObjCBool = false
            return path != "MANIFEST" && FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &directory) && !directory.boolValue
        })
    }

    /// Copies a case into `scratch` under the same relative path, expanding `«rep N»text«/rep»` to N copies
    /// of text (huge inputs without huge files in the repository).
    static func materialize(_ file: String, into scratch: URL) throws -> String {
        var data = try Data(contentsOf: corpus.appendingPathComponent(file))
        if let text = String(data: data, encoding: .utf8), text.contains("«rep ") {
            var expanded = ""
            var rest = Substring(text)
            while let open = rest.range(of: "«rep ") {
                expanded += rest[..<open.lowerBound]
                guard let countEnd = rest[open.upperBound...].firstIndex(of: "»"),
                      let count = Int(rest[open.upperBound..<countEnd]),
                      let close = rest[countEnd...].range(of: "«/rep»") else { break }
                expanded += String(repeating: String(rest[rest.index(after: countEnd)..<close.lowerBound]), count: count)
                rest = rest[close.upperBound...]
            }
            expanded += rest
            data = Data(expanded.utf8)
        }
        let target = scratch.appendingPathComponent(file)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: target)
        return target.path
    }
}

/// The built binary as a subprocess; output through files so a chatty child never blocks on a pipe.
enum BinaryRun {
    struct Result {
        var status: Int32
        var stderr: String
        var crashed: Bool
    }

    static func run(_ arguments: [String], environment: [String: String], scratch: URL, timeout: TimeInterval = 60) throws -> Result {
        let errURL = scratch.appendingPathComponent("stderr-\(UUID().uuidString)")
        try Data().write(to: errURL)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try GlueBinary.path())
        process.arguments = arguments
        process.environment = environment
        let errors = try FileHandle(forWritingTo: errURL)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                process.waitUntilExit()
                return Result(status: -1, stderr: "did not finish within \(Int(timeout)) s", crashed: true)
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
        try errors.close()
        let stderr = String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
        let crashed = process.terminationReason == .uncaughtSignal
            || ["Fatal error", "Stack dump", "Current stack trace", "Illegal instruction", "Segmentation fault"].contains { stderr.contains($0) }
        return Result(status: process.terminationStatus, stderr: stderr, crashed: crashed)
    }
}
