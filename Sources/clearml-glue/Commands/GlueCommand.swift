import ArgumentParser
import ClearMLAPI
import Foundation
import Glue
import GlueCLI
import KubeAPI
import Logging

/// `clearml-glue glue`: the controller.
struct GlueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glue",
        abstract: "Run the Kubernetes glue controller: ClearML queues -> task pods.",
        discussion: "Flags follow upstream's k8s glue example; unset values come from K8S_GLUE_*/CLEARML_K8S_GLUE_* and clearml.conf.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: GlueOptions

    func run() async throws {
        try await GlueRunner(global: global, options: options).run()
    }
}

/// Shared by `glue` and `daemon --k8s`.
struct GlueRunner {
    var global: GlobalOptions
    var options: GlueOptions

    func run() async throws {
        var global = global
        if options.debug { global.logLevel = "debug" }
        try global.bootstrapLogging()
        let logger = Logger(label: "clearml-glue")
        let environment = ProcessInfo.processInfo.environment
        let settings = try global.loadSettings()
        let configuration = try GlueConfigurationBuilder(options: options, settings: settings, environment: environment).build()
        let metrics = GlueMetrics()
        var sessionConfiguration = try ClearMLSessionConfiguration(settings: settings, worker: configuration.workerID)
        sessionConfiguration.callObserver = metrics.clearMLObserver
        let session = try ClearMLSession(configuration: sessionConfiguration, logger: Logger(label: "clearml.api"))
        var kubeConfiguration = try KubeConfiguration.load(kubeconfig: options.kubeconfig, context: options.context, environment: environment)
        kubeConfiguration.qps = options.kubeQPS
        kubeConfiguration.burst = max(1, Int(options.kubeQPS * 2))
        let kube = try KubeClient(configuration: kubeConfiguration, logger: Logger(label: "kube"))
        try await TemplateCheck.verify(configuration, kube: kube, logger: logger)
        let controller = try await GlueController.prepare(configuration: configuration, session: session, kube: kube, metrics: metrics, logger: logger)
        // For `daemon --stop` (GluePidFile); a folder that cannot be written only costs that.
        let pidFile = try? GluePidFile.register(worker: configuration.workerID, directory: GluePidFile.directory(environment: environment))
        defer { pidFile?.remove() }
        try await controller.run { port in
            logger.info("serving /metrics, /healthz, /readyz", metadata: ["address": "\(configuration.metricsAddress?.host ?? ""):\(port)"])
        }
    }
}
