import ArgumentParser
import ClearMLAPI
import DevCluster
import DevServer
import Foundation
import Glue
import GlueCLI
import HTTPClient
import JSONValue
import KubeAPI
import Logging
import ServiceLifecycle

/// `clearml-glue-dev dev`: the embedded ClearML server, the embedded cluster and the glue wired to both, on
/// loopback; the pods run `clearml-glue` (the product binary) as their agent. `--demo` also enqueues a small
/// task from a local git repository and follows it to the end.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev", abstract: "Run the embedded ClearML server, cluster and glue together (try it with --demo).")

    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("data-dir"), help: "Where the server's database, the cluster's state and the kubeconfig live (default: a new temporary folder).")
    var dataDir: String?
    @Option(name: .customLong("queue"), help: "The queue the glue serves.")
    var queue = "default"
    @Option(name: .customLong("max-pods"), help: "Most task pods at once.")
    var maxPods = 4
    @Flag(name: .customLong("demo"), help: "Enqueue a demo task (a local git repo) and follow it: queued -> pod -> running -> completed.")
    var demo = false
    @Flag(name: .customLong("exit-after-demo"), help: "With --demo: stop everything once the demo task has ended (exit 0 only if it completed).")
    var exitAfterDemo = false
    @Option(name: .customLong("agent-binary-path"), help: "The clearml-glue the pods run as their agent (default: clearml-glue next to this binary; a path ending in bin/clearml-glue copies its bundle folder).")
    var agentBinaryPath: String?

    func validate() throws {
        if exitAfterDemo && !demo { throw ValidationError("--exit-after-demo needs --demo") }
        if maxPods < 1 { throw ValidationError("--max-pods must be at least 1") }
    }

    func run() async throws {
        try global.bootstrapLogging()
        let agentBinary = try resolveAgentBinary()
        let logger = Logger(label: "clearml-glue.dev")
        let directory = dataDir ?? (NSTemporaryDirectory() + "clearml-glue-dev-" + UUID().uuidString.prefix(8).lowercased())
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)

        var serverConfiguration = DevServerConfiguration()
        serverConfiguration.dataDirectory = directory + "/server"
        let server = try await DevServer.start(serverConfiguration, logger: Logger(label: "devserver"))
        var clusterConfiguration = DevClusterConfiguration()
        clusterConfiguration.dataDirectory = directory + "/cluster"
        clusterConfiguration.kubeconfigOut = directory + "/kubeconfig"
        clusterConfiguration.logger = Logger(label: "devcluster")
        let cluster: DevCluster
        do { cluster = try await DevCluster.start(clusterConfiguration) } catch {
            await server.stop()
            throw error
        }
        var outcome: DemoOutcome?
        do {
            outcome = try await serve(server: server, cluster: cluster, agentBinary: agentBinary, directory: directory, logger: logger)
        } catch {
            await cluster.stop()
            await server.stop()
            throw error
        }
        await cluster.stop()
        await server.stop()
        if let outcome, outcome != .completed { throw ExitCode(1) }
    }

    /// The pods run the product's own `clearml-glue execute`, not this binary: by default the one built next
    /// to it (`swift build` puts both products in one folder).
    private func resolveAgentBinary() throws -> String {
        let path: String
        if let agentBinaryPath {
            path = agentBinaryPath
        } else {
            let own = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            path = own.deletingLastPathComponent().appendingPathComponent("clearml-glue").path
        }
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw DemoFailure(description: """
                the agent binary \(path) is missing or not executable: the pods run clearml-glue, so build it \
                (swift build --product clearml-glue) or name one with --agent-binary-path
                """)
        }
        return path
    }

    private func serve(server: DevServer, cluster: DevCluster, agentBinary: String, directory: String, logger: Logger) async throws -> DemoOutcome? {
        let kube = try KubeClient(configuration: try KubeConfiguration.load(kubeconfig: cluster.kubeconfigPath, environment: [:]), logger: Logger(label: "kube"))
        _ = try? await kube.create(.namespaces, ["metadata": ["name": "clearml"]])
        _ = try? await kube.create(.secrets, namespace: "clearml", [
            "metadata": ["name": "clearml-credentials"],
            "stringData": ["CLEARML_API_ACCESS_KEY": .string(server.accessKey), "CLEARML_API_SECRET_KEY": .string(server.secretKey)],
        ])

        var render = PodRenderSettings(workerID: "clearml-glue-dev", agentMode: .injected(image: "clearml-glue:dev"), defaultImage: "python:3.11-slim",
                                       apiServer: server.baseURL, webServer: server.baseURL, filesServer: server.baseURL)
        render.namespace = "clearml"
        render.credentialsSecret = "clearml-credentials"
        render.injectedAgentPath = agentBinary
        var configuration = GlueConfiguration(workerID: "clearml-glue-dev", queues: [ServedQueue(name: queue)], render: render, namespaces: ["clearml"])
        configuration.createQueues = true
        configuration.maxPods = maxPods
        configuration.metricsAddress = ("127.0.0.1", 0)

        let metrics = GlueMetrics()
        var sessionConfiguration = ClearMLSessionConfiguration(
            apiServer: server.baseURL, credentials: .keys(accessKey: server.accessKey, secretKey: server.secretKey),
            http: HTTPClientConfiguration(proxy: .none), worker: configuration.workerID)
        sessionConfiguration.callObserver = metrics.clearMLObserver
        let session = try ClearMLSession(configuration: sessionConfiguration)
        let controller = try await GlueController.prepare(configuration: configuration, session: session, kube: kube, metrics: metrics, logger: Logger(label: "clearml-glue"))

        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var services = controller.services(onMetricsListening: { portContinuation.yield($0) })
        let demoBox = DemoBox()
        if demo {
            let runner = DemoRunner(session: session, queue: queue, directory: directory, box: demoBox)
            services.append(.init(service: runner, successTerminationBehavior: exitAfterDemo ? .gracefullyShutdownGroup : .ignore,
                                  failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        let announce = Task {
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            print("""
                ClearML server   \(server.baseURL)  (access_key \(server.accessKey); both keys are kept in \(server.dataDirectory))
                Kubernetes API   \(cluster.server)
                kubeconfig       \(cluster.kubeconfigPath)
                glue metrics     http://127.0.0.1:\(port)/metrics
                queue            \(queue)  (enqueue tasks with the clearml SDK: CLEARML_API_HOST=\(server.baseURL))
                try              kubectl --kubeconfig \(cluster.kubeconfigPath) get pods -n clearml -L clearml-task-id,clearml-agent-queue-name
                """)
            fflush(nil)
        }
        try await group.run()
        announce.cancel()
        return await demoBox.outcome
    }
}
