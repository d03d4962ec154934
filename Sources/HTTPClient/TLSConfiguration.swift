import Foundation

/// PEM material given either as a path or as bytes (kubeconfig `*-data` fields, Kubernetes Secrets).
public enum PEMSource: Sendable, Equatable {
    case file(String)
    case bytes(Data)

    /// Reads the material now, so an unreadable file is reported at configuration time, not mid-request.
    func load(role: String) throws(HTTPClientError) -> Data {
        switch self {
        case .bytes(let data):
            guard !data.isEmpty else { throw .invalidPEM(role: role, reason: "no bytes given") }
            return data
        case .file(let path):
            let expanded = (path as NSString).expandingTildeInPath
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: expanded))
                guard !data.isEmpty else { throw HTTPClientError.unreadableFile(path: path, role: role, reason: "the file is empty") }
                return data
            } catch let error as HTTPClientError {
                throw error
            } catch {
                let reason = (error as NSError).localizedFailureReason ?? "\(error.localizedDescription)"
                throw .unreadableFile(path: path, role: role, reason: reason)
            }
        }
    }
}

/// How server certificates are verified and which client identity is presented.
/// Verification is on unless `insecureSkipVerify` is explicitly set.
public struct TLSConfiguration: Sendable, Equatable {
    /// Extra CA certificates to trust. With `trustSystemRoots`, they are added to the system store
    /// (a private CA beside public ones); without it they are the only roots (Kubernetes cluster CAs).
    public var certificateAuthority: PEMSource?
    public var trustSystemRoots: Bool
    public var clientCertificate: PEMSource?
    public var clientKey: PEMSource?
    public var insecureSkipVerify: Bool
    /// The name to verify the server's certificate against and send as SNI, instead of the URL's host
    /// (kubeconfig `tls-server-name`, for API servers reached by an address their certificate lacks).
    public var serverName: String?

    public init(
        certificateAuthority: PEMSource? = nil, trustSystemRoots: Bool = true,
        clientCertificate: PEMSource? = nil, clientKey: PEMSource? = nil, insecureSkipVerify: Bool = false,
        serverName: String? = nil
    ) {
        self.certificateAuthority = certificateAuthority
        self.trustSystemRoots = trustSystemRoots
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
        self.insecureSkipVerify = insecureSkipVerify
        self.serverName = serverName
    }

    func resolve(systemBundlePaths: [String]) throws(HTTPClientError) -> ResolvedTLS {
        var caBundle: Data?
        var caFile: String?
        let systemPath = systemBundlePaths.first(where: { FileManager.default.isReadableFile(atPath: $0) })
        if let ca = certificateAuthority {
            var bundle = Data()
            if trustSystemRoots, let path = systemPath, let system = FileManager.default.contents(atPath: path) {
                bundle.append(system)
                bundle.append(0x0A)
            }
            let extra = try ca.load(role: "CA certificate")
            guard String(decoding: extra, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
                throw .invalidPEM(role: "CA certificate", reason: "no PEM 'BEGIN CERTIFICATE' block found")
            }
            bundle.append(extra)
            caBundle = bundle
        } else if trustSystemRoots {
            // libcurl's built-in default is Debian's path: name the store found, wherever the image keeps it.
            caFile = systemPath
        }
        if (clientCertificate == nil) != (clientKey == nil) {
            throw .invalidPEM(role: "client identity", reason: "a client certificate needs its key and a key needs its certificate")
        }
        return ResolvedTLS(
            caBundle: caBundle,
            caFile: caFile,
            clientCertificate: try clientCertificate?.load(role: "client certificate"),
            clientKey: try clientKey?.load(role: "client key"),
            insecureSkipVerify: insecureSkipVerify,
            serverName: serverName.flatMap { $0.isEmpty ? nil : $0 }
        )
    }
}

/// TLS material loaded into memory, ready to hand to libcurl as blobs.
struct ResolvedTLS: Sendable {
    var caBundle: Data?
    /// The system CA store to verify with when no extra CA is configured (nil: libcurl's default).
    var caFile: String?
    var clientCertificate: Data?
    var clientKey: Data?
    var insecureSkipVerify: Bool
    var serverName: String?
}
