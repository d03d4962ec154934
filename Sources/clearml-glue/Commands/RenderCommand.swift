import ArgumentParser
import ClearMLAPI
import Foundation
import Glue
import GlueCLI
import JSONValue
import KubeAPI
import Logging
import Yams

/// `clearml-glue render --id T`: the pod the glue would create for task T, with the same flags as
/// `glue`, printed as YAML (pipe it to `kubectl apply --dry-run=server -f -` or kubernetes-validate).
struct RenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "render", abstract: "Print the pod the glue would create for a task.")

    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("id"), help: "The task id.")
    var taskID: String
    @Flag(name: .customLong("json"), help: "Print JSON instead of YAML.")
    var json = false
    @OptionGroup var options: GlueOptions

    func run() async throws {
        try global.bootstrapLogging()
        let settings = try global.loadSettings()
        var options = self.options
        if options.queues.isEmpty && settings.k8sGlue.queues.isEmpty { options.queues = ["default"] }
        let configuration = try GlueConfigurationBuilder(options: options, settings: settings, environment: ProcessInfo.processInfo.environment).build()
        let session = try global.makeSession(retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(200), maxDelay: .seconds(1)))
        guard let task = try await session.taskFields(id: taskID, PodTask.documentFields + ["execution.queue"])?.document else {
            throw ValidationError("task \(taskID) does not exist on the ClearML server")
        }
        // The queue the task is in, when it is one the glue serves; else the first served queue.
        var served = configuration.queues[0]
        var queueID = ""
        if let current = task.value(at: "execution.queue")?.stringValue, !current.isEmpty,
           let queue = try? await session.queue(id: current), let match = configuration.queue(named: queue.name) {
            served = match
            queueID = current
        } else if let queue = try await session.resolveQueue(served.name) {
            queueID = queue.id
        }
        let podTask = try PodTask(document: task, queueID: queueID, queueName: served.name)
        let rendered = try PodRenderer.render(task: podTask, queue: served.pod, baseTemplate: configuration.baseTemplate, settings: configuration.render)
        for note in rendered.notes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
        try await checkWithCluster(rendered, kind: configuration.render.kind)
        if json {
            print(rendered.manifest.encodedString())
        } else {
            let encoder = YAMLEncoder()
            encoder.options = YAMLEncoder.Options(sortKeys: true)
            print(try encoder.encode(rendered.manifest), terminator: "")
        }
    }

    /// With a reachable cluster, the pod goes through a server-side dry run with strict field validation,
    /// as the glue's own start check does; without one, rendering alone is the answer.
    private func checkWithCluster(_ rendered: RenderedPod, kind: PodRenderSettings.Kind) async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = Logger(label: "clearml-glue.render")
        guard let configuration = try? KubeConfiguration.load(kubeconfig: options.kubeconfig, context: options.context, environment: environment),
              let kube = try? KubeClient(configuration: configuration, logger: logger) else {
            FileHandle.standardError.write(Data("note: no Kubernetes configuration found; the pod was not checked against an API server\n".utf8))
            return
        }
        if let problem = try await TemplateCheck.refusal(of: rendered, kind: kind, kube: kube, logger: logger) {
            throw ValidationError("the Kubernetes API refuses this pod (server-side dry run): \(problem)")
        }
    }
}
