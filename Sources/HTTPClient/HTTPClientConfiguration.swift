import Foundation

public struct HTTPClientConfiguration: Sendable {
    public var tls: TLSConfiguration
    public var proxy: ProxyConfiguration
    public var timeouts: HTTPTimeouts
    /// Bound on a response read whole by `execute`; streams are not bounded by it.
    public var maxResponseBodyBytes: Int
    public var userAgent: String
    /// Where the system CA bundle is looked for, best first: the first readable one is what libcurl verifies
    /// servers with (and what extra CAs are added to), so images that keep it elsewhere than libcurl's built-in
    /// Debian path (RHEL/UBI, SUSE, images without any) work too.
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
        return [env["SSL_CERT_FILE"], env["CURL_CA_BUNDLE"]].compactMap { $0 }.filter { !$0.isEmpty } + [
            "/etc/ssl/certs/ca-certificates.crt",  // Debian, Ubuntu, Alpine
            "/etc/pki/tls/certs/ca-bundle.crt",  // RHEL, Fedora
            "/etc/ssl/ca-bundle.pem",  // SUSE
            "/etc/ssl/cert.pem",  // Alpine, macOS
        ] + [bundledCABundlePath].compactMap { $0 }
    }

    /// The fallback CA store shipped in the agent bundle (`scripts/bundle`): `share/clearml-glue/ca-certificates.crt`
    /// beside the executable's folder. Started through the bundle's launcher, /proc/self/exe names the bundled
    /// loader (`OUT/lib/ld-linux-x86-64.so.2`), run directly the binary (`OUT/libexec/clearml-glue`): OUT is the
    /// parent of that folder either way.
    static let bundledCABundlePath: String? = {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        guard executable.path != "/proc/self/exe" else { return nil }
        return executable.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("share/clearml-glue/ca-certificates.crt").path
    }()
}
