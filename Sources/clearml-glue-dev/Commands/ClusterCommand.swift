import ArgumentParser
import DevCluster
import Foundation
import GlueCLI
import Logging

/// `clearml-glue-dev cluster`: the embedded single-node Kubernetes API server, for local runs and tests.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Run the embedded single-node Kubernetes cluster (pods run as local processes; kubectl works against it).")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Port to serve HTTPS on (0 picks a free one).")
    var port: Int = 6443

    @Option(name: .customLong("data-dir"), help: "Folder for certificates, token, kubeconfig and pod sandboxes (default: a new temporary folder).")
    var dataDir: String?

    @Option(name: .customLong("kubeconfig-out"), help: "Where to write the kubeconfig (default: <data-dir>/kubeconfig).")
    var kubeconfigOut: String?

    @Option(help: "CPU cores the node offers.")
    var cpu: Double = 8

    @Option(help: "Memory the node offers, as a Kubernetes quantity (e.g. 32Gi).")
    var memory: String = "32Gi"

    @Option(help: "nvidia.com/gpu devices the node offers.")
    var gpus: Int = 0

    @Option(name: .customLong("fail-image-pattern"), help: "Regular expression: matching images fail to pull (ErrImagePull, ImagePullBackOff).")
    var failImagePattern: String?

    @Option(name: .customLong("image-root"), help: ArgumentHelp(
        "IMAGE=DIR: containers of IMAGE run inside the root filesystem DIR (an overlay per container, chrooted) instead of as host processes; repeatable; needs root.",
        valueName: "image=dir"))
    var imageRoots: [String] = []

    @Option(name: .customLong("fault-rate"), help: "Test only: share of API requests (0-1) answered 500, 429 or with a connection reset.")
    var faultRate: Double = 0

    @Option(name: .customLong("drop-watch-every"), help: "Test only: cut every watch after this many events.")
    var dropWatchEvery: Int?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard cpu > 0 else { throw ValidationError("--cpu must be positive") }
        guard gpus >= 0 else { throw ValidationError("--gpus cannot be negative") }
        guard parseMemory(memory) != nil else { throw ValidationError("--memory '\(memory)' is not a quantity such as 16Gi or 512Mi") }
        guard (0...1).contains(faultRate) else { throw ValidationError("--fault-rate must be between 0 and 1") }
        if let dropWatchEvery, dropWatchEvery < 1 { throw ValidationError("--drop-watch-every must be at least 1") }
    }

    func parseMemory(_ text: String) -> Int64? {
        let units: [(String, Double)] = [("Ki", 1024), ("Mi", 1_048_576), ("Gi", 1_073_741_824), ("Ti", 1_099_511_627_776), ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            return Double(text.dropLast(suffix.count)).map { Int64($0 * factor) }
        }
        return Int64(text)
    }

    func run() async throws {
        try global.bootstrapLogging()
        var configuration = DevClusterConfiguration()
        configuration.port = port
        configuration.dataDirectory = dataDir
        configuration.kubeconfigOut = kubeconfigOut
        configuration.cpu = cpu
        configuration.memoryBytes = parseMemory(memory) ?? 0
        configuration.gpus = gpus
        configuration.failImagePattern = failImagePattern
        configuration.imageRoots = try imageRoots.map(ImageRoot.init(option:))
        configuration.faultRate = faultRate
        configuration.dropWatchEvery = dropWatchEvery
        configuration.logger = Logger(label: "devcluster")
        let cluster = try await DevCluster.start(configuration)
        // Tests and scripts wait for this line; keep its shape.
        // Written unbuffered: a parent process may be reading the pipe line by line.
        FileHandle.standardOutput.write(Data("kubeconfig: \(cluster.kubeconfigPath)\nserver: \(cluster.server)\n".utf8))
        await Self.waitForTermination()
        await cluster.stop()
    }

    /// Returns on the first SIGINT or SIGTERM, so the cluster can kill its pods before exiting.
    static func waitForTermination() async {
        let (signals, continuation) = AsyncStream.makeStream(of: Int32.self)
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { continuation.yield(signalNumber) }
            source.resume()
            sources.append(source)
        }
        for await _ in signals { break }
        sources.forEach { $0.cancel() }
    }
}
