import Foundation
import HTTPClient

/// How requests are authenticated. Token files and exec plugins are evaluated lazily and refreshed,
/// because projected service-account tokens and cloud credentials rotate under a running process.
public enum KubeCredentials: Sendable, Equatable {
    case none
    case token(String)
    case tokenFile(String)
    case basic(username: String, password: String)
    case exec(ExecCredentialConfig)
}

/// Everything needed to talk to one API server, resolved from a kubeconfig or the pod's service account.
public struct KubeConfiguration: Sendable, Equatable {
    public var server: String
    public var tls: TLSConfiguration
    /// `tls-server-name`: the name the API server's certificate is verified against (and sent as SNI).
    public var tlsServerName: String?
    public var credentials: KubeCredentials
    public var namespace: String
    public var proxyURL: String?
    /// Client-side limiter; `qps <= 0` disables it.
    public var qps: Double
    public var burst: Int
    public var userAgent: String
    /// Where this configuration came from, for logs ("in-cluster", "kubeconfig /path context x").
    public var source: String

    public init(
        server: String, tls: TLSConfiguration = TLSConfiguration(trustSystemRoots: true), tlsServerName: String? = nil,
        credentials: KubeCredentials = .none, namespace: String = "default", proxyURL: String? = nil,
        qps: Double = 50, burst: Int = 100, userAgent: String = "clearml-glue", source: String = "explicit"
    ) {
        self.server = server
        self.tls = tls
        self.tlsServerName = tlsServerName
        self.credentials = credentials
        self.namespace = namespace
        self.proxyURL = proxyURL
        self.qps = qps
        self.burst = burst
        self.userAgent = userAgent
        self.source = source
    }

    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// Test hook, not a Kubernetes convention: when set (non-empty), in-cluster configuration reads the
    /// token, CA and namespace from this folder instead of `directory`. The embedded cluster
    /// (`clearml-glue-dev cluster`) runs pods as local processes, which cannot see the fixed path above, and sets
    /// it to where it projected the pod's service-account volume.
    public static let serviceAccountDirectoryVariable = "KUBERNETES_SERVICE_ACCOUNT_DIR"

    /// Resolution order (as kubectl and client-go): `kubeconfig` argument, then `$KUBECONFIG` (a `:` list,
    /// merged), then `~/.kube/config`; when none exists and `KUBERNETES_SERVICE_HOST` is set, in-cluster.
    public static func load(
        kubeconfig: String? = nil, context: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = KubeConfiguration.serviceAccountDirectory
    ) throws -> KubeConfiguration {
        if let kubeconfig {
            return try KubeconfigFile.resolve(paths: [kubeconfig], context: context, mustExist: true)
        }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            let paths = list.split(separator: ":").map(String.init).filter { !$0.isEmpty }
            if paths.contains(where: { FileManager.default.fileExists(atPath: $0) }) {
                return try KubeconfigFile.resolve(paths: paths, context: context, mustExist: false)
            }
        }
        if let home = environment["HOME"] {
            let path = home + "/.kube/config"
            if FileManager.default.fileExists(atPath: path) {
                return try KubeconfigFile.resolve(paths: [path], context: context, mustExist: true)
            }
        }
        if environment["KUBERNETES_SERVICE_HOST"] != nil {
            return try inCluster(environment: environment, directory: serviceAccountDirectory)
        }
        throw KubeConfigError(
            "no Kubernetes configuration found: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run inside a pod")
    }

    /// The pod's service account: token (re-read as it rotates), cluster CA and namespace file.
    public static func inCluster(environment: [String: String], directory: String = serviceAccountDirectory) throws -> KubeConfiguration {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty else {
            throw KubeConfigError("in-cluster configuration needs KUBERNETES_SERVICE_HOST")
        }
        let port = environment["KUBERNETES_SERVICE_PORT"].flatMap { $0.isEmpty ? nil : $0 } ?? "443"
        let directory = environment[serviceAccountDirectoryVariable].flatMap { $0.isEmpty ? nil : $0 } ?? directory
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let tokenPath = directory + "/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubeConfigError("in-cluster configuration: service-account token '\(tokenPath)' is not readable")
        }
        let caPath = directory + "/ca.crt"
        let namespace = (try? String(contentsOfFile: directory + "/namespace", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return KubeConfiguration(
            server: "https://\(hostPart):\(port)",
            tls: TLSConfiguration(certificateAuthority: .file(caPath), trustSystemRoots: false),
            credentials: .tokenFile(tokenPath),
            namespace: (namespace?.isEmpty ?? true) ? "default" : namespace ?? "default",
            source: "in-cluster service account"
        )
    }
}

public struct KubeConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
