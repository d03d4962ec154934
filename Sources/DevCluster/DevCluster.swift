import Foundation
import Hummingbird
import HummingbirdTLS
import KubeAPI
import Logging
import NIOCore
import Synchronization

public struct DevClusterConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    /// 0 picks a free port; read it back from `DevCluster.port`.
    public var port: Int = 0
    /// Keeps certificates, the token, the kubeconfig and pod sandboxes; nil uses a fresh temporary folder.
    public var dataDirectory: String?
    public var cpu: Double = 8
    public var memoryBytes: Int64 = 32 << 30
    public var gpus: Int = 0
    /// Images matching this regular expression fail to pull (ErrImagePull -> ImagePullBackOff).
    public var failImagePattern: String?
    /// Root filesystems of images (`--image-root IMAGE=DIR`): a container of such an image runs inside
    /// its root, as on a node; others run as host processes. Needs the cluster to run as root.
    public var imageRoots: [ImageRoot] = []
    /// Share of API requests (0...1) answered 500, 429 or with a connection reset.
    public var faultRate: Double = 0
    /// Cut every watch after this many events.
    public var dropWatchEvery: Int?
    /// Where to write the kubeconfig; default `<data dir>/kubeconfig`.
    public var kubeconfigOut: String?
    /// Which failures `faultRate` draws from.
    public var faults: [DevClusterFault] = DevClusterFault.allCases
    /// Changes kept for watches to resume from; older versions answer 410 Gone.
    public var watchHistoryLimit: Int = 20_000
    /// How often watches that allow bookmarks get one.
    public var bookmarkInterval: Duration = .seconds(5)
    public var logger: Logger = Logger(label: "devcluster")

    public init() {}
}

/// A single-node Kubernetes API server on loopback that runs pods as local processes.
public final class DevCluster: Sendable {
    public let port: Int
    public let kubeconfigPath: String
    public let dataDirectory: String
    /// The bearer token in the kubeconfig.
    public let token: String
    public let caCertificatePath: String
    /// A client certificate/key signed by the cluster CA, for mTLS kubeconfigs.
    public let clientCertificatePath: String
    public let clientKeyPath: String
    private let kubelet: Kubelet
    private let store: ObjectStore
    private let api: ClusterAPI
    private let jobs: JobController
    private let controllers: ControllerManager
    private let serverTask: Task<Void, any Error>

    public var server: String { "https://127.0.0.1:\(port)" }

    private init(port: Int, kubeconfigPath: String, dataDirectory: String, token: String, certs: ClusterCertificates,
                 kubelet: Kubelet, store: ObjectStore, api: ClusterAPI, jobs: JobController, controllers: ControllerManager,
                 serverTask: Task<Void, any Error>) {
        self.port = port
        self.kubeconfigPath = kubeconfigPath
        self.dataDirectory = dataDirectory
        self.token = token
        self.caCertificatePath = certs.caCertificatePath
        self.clientCertificatePath = certs.clientCertificatePath
        self.clientKeyPath = certs.clientKeyPath
        self.kubelet = kubelet
        self.store = store
        self.api = api
        self.jobs = jobs
        self.controllers = controllers
        self.serverTask = serverTask
    }

    public static func start(_ configuration: DevClusterConfiguration) async throws -> DevCluster {
        if let pattern = configuration.failImagePattern, (try? NSRegularExpression(pattern: pattern)) == nil {
            throw DevClusterError("--fail-image-pattern '\(pattern)' is not a valid regular expression")
        }
        guard (0...1).contains(configuration.faultRate) else { throw DevClusterError("--fault-rate must be between 0 and 1") }
        let dataDirectory = configuration.dataDirectory ?? (NSTemporaryDirectory() + "devcluster-" + UUID().uuidString.prefix(8).lowercased())
        let imageRoots = try ImageRootTable(configuration.imageRoots, host: .current, dataDirectory: ImageRootLaunch.absolute(dataDirectory))
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let certs = try ClusterCertificates.ensure(in: dataDirectory)
        let token = try Self.loadOrCreateToken(in: dataDirectory)

        let store = ObjectStore(historyLimit: max(8, configuration.watchHistoryLimit))
        let kubelet = Kubelet(
            store: store,
            capacity: NodeCapacity(cpu: configuration.cpu, memory: Double(configuration.memoryBytes), gpus: Double(configuration.gpus)),
            dataDirectory: dataDirectory, failImagePattern: configuration.failImagePattern, imageRoots: imageRoots)
        try await Bootstrap.seed(store, configuration: configuration)
        let jobs = JobController(store: store, kubelet: kubelet)
        await jobs.start()
        let controllers = ControllerManager(store: store, kubelet: kubelet, caCertificatePath: certs.caCertificatePath)
        await controllers.start()

        let tls = try HTTPServer.tlsConfiguration(certs)
        let (started, startedContinuation) = AsyncStream.makeStream(of: Result<Int, any Error>.self)
        let api = ClusterAPI(
            store: store, kubelet: kubelet, address: "127.0.0.1", bookmarkInterval: configuration.bookmarkInterval,
            faultSettings: FaultSettings(faultRate: configuration.faultRate, dropWatchEvery: configuration.dropWatchEvery, faults: configuration.faults),
            adminToken: token, logger: configuration.logger)
        var quiet = configuration.logger
        // Hummingbird reports the cancellation that stops it as errors; only critical ones matter here.
        quiet.logLevel = .critical
        let app = Application(
            responder: HTTPServer.responder(api: api),
            server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                startedContinuation.yield(.success(channel.localAddress?.port ?? configuration.port))
            },
            logger: quiet)
        let serverTask = Task {
            do {
                try await app.runService(gracefulShutdownSignals: [])
                startedContinuation.finish()
            } catch {
                startedContinuation.yield(.failure(error))
                throw error
            }
        }
        var boundPort: Int?
        for await result in started {
            do { boundPort = try result.get() } catch {
                throw DevClusterError("cannot serve on \(configuration.host):\(configuration.port): \(error)")
            }
            break
        }
        guard let port = boundPort else {
            throw DevClusterError("the API server on \(configuration.host):\(configuration.port) stopped before it started serving")
        }
        // What pods need of the API server once its address is known: the `kubernetes` Service (their
        // KUBERNETES_SERVICE_HOST/PORT) and tokens for their service-account volumes.
        try await KubernetesService.publish(store, host: "127.0.0.1", port: port)
        let authenticator = api.authenticator
        await kubelet.useTokenIssuer { namespace, account, pod in
            guard let serviceAccount = await store.get(.serviceAccounts, namespace: namespace, name: account) else { return nil }
            return authenticator.issue(Authenticator.IssuedToken(
                namespace: namespace, serviceAccount: account, serviceAccountUID: serviceAccount[path: "metadata", "uid"]?.stringValue ?? "",
                expires: Date().addingTimeInterval(365 * 86_400),
                bound: (.pods, pod[path: "metadata", "name"]?.stringValue ?? "", pod[path: "metadata", "uid"]?.stringValue ?? "")))
        }
        let kubeconfigPath = configuration.kubeconfigOut ?? dataDirectory + "/kubeconfig"
        try KubeconfigWriter.write(to: kubeconfigPath, server: "https://127.0.0.1:\(port)", caPath: certs.caCertificatePath, token: token)
        configuration.logger.info("devcluster serving", metadata: ["server": "https://127.0.0.1:\(port)", "kubeconfig": "\(kubeconfigPath)"])
        return DevCluster(port: port, kubeconfigPath: kubeconfigPath, dataDirectory: dataDirectory, token: token, certs: certs,
                          kubelet: kubelet, store: store, api: api, jobs: jobs, controllers: controllers, serverTask: serverTask)
    }

    /// Writes a kubeconfig for this cluster that authenticates with `token` (a ServiceAccount token from
    /// the TokenRequest API), its context in `namespace`.
    public func writeKubeconfig(to path: String, token: String, user: String, namespace: String) throws {
        try KubeconfigWriter.write(to: path, server: server, caPath: caCertificatePath, token: token, user: user, namespace: namespace)
    }

    /// Every distinct authorization decision made for the user named `user` (after impersonation), with
    /// how many requests it covered: what the user was allowed and denied, and where.
    public func accessLog(user: String) -> [AccessRecord: Int] { api.accessLog.records(user: user) }

    /// The users the access log has decisions for.
    public var accessLogUsers: [String] { api.accessLog.users }

    public func resetAccessLog() { api.accessLog.reset() }

    /// For `duration`, every request of a user other than the admin is refused with RBAC's 403, as a
    /// kube-apiserver does right after a restart, before its RBAC caches have synced.
    public func refuseAuthorizationFor(_ duration: Duration) { api.warmUp.start(for: duration) }

    /// Stops serving and kills every pod's process group.
    public func stop() async {
        await jobs.stop()
        controllers.stop()
        await kubelet.stopAll()
        await store.dropAllWatches()
        serverTask.cancel()
        _ = try? await serverTask.value
    }

    static func loadOrCreateToken(in directory: String) throws -> String {
        let path = directory + "/token"
        if let existing = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !existing.isEmpty {
            return existing
        }
        var bytes = [UInt8](repeating: 0, count: 24)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        let token = bytes.map { String(format: "%02x", $0) }.joined()
        try token.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        return token
    }
}
