import Foundation

public struct HTTPClientConfiguration: Sendable {
    public var tls: TLSConfiguration
    public var proxy: ProxyConfiguration
    public var timeouts: HTTPTimeouts
    /// Bound on a response read whole by `execute`; streams are not bounded by it.
    public var maxResponseBodyBytes: Int
    public var userAgent: String
    /// Where the system CA bundle is looked for when extra CAs are added to it.
    public var systemCABundlePaths: [String]

    public init(
        tls: TLSConfiguration = TLSConfiguration(),
        proxy: ProxyConfiguration = .fromEnvironment(ProcessInfo.processInfo.environment),
        timeouts: HTTPTimeouts = HTTPTimeouts(),
        maxResponseBodyBytes: Int = 256 << 20,
        userAgent: String = "clearml-glue",
        systemCABundlePaths: [String] = HTTPClientConfiguration.defaultCABundlePaths
    ) {
        self.tls = tls
        self.proxy = proxy
        self.timeouts = timeouts
        self.maxResponseBodyBytes = maxResponseBodyBytes
        self.userAgent = userAgent
        self.systemCABundlePaths = systemCABundlePaths
    }

    public static var defaultCABundlePaths: [String] {
        let env = ProcessInfo.processInfo.environment
        return [env["SSL_CERT_FILE"], env["CURL_CA_BUNDLE"]].compactMap { $0 } + [
            "/etc/ssl/certs/ca-certificates.crt",  // Debian, Ubuntu, Alpine
            "/etc/pki/tls/certs/ca-bundle.crt",  // RHEL, Fedora
            "/etc/ssl/cert.pem",
        ]
    }
}
