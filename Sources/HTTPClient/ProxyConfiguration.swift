/// Proxies to use, read from the usual environment variables unless given explicitly.
public struct ProxyConfiguration: Sendable, Equatable {
    public var httpProxy: String?
    public var httpsProxy: String?
    /// Comma-separated hosts, domains (`.example.com`) and `*` that bypass the proxy.
    public var noProxy: String?

    public init(httpProxy: String? = nil, httpsProxy: String? = nil, noProxy: String? = nil) {
        self.httpProxy = httpProxy
        self.httpsProxy = httpsProxy
        self.noProxy = noProxy
    }

    public static let none = ProxyConfiguration()

    /// Upper-case names win over lower-case ones, matching most tools; empty values mean unset.
    public static func fromEnvironment(_ environment: [String: String]) -> ProxyConfiguration {
        func value(_ names: String...) -> String? {
            names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        }
        return ProxyConfiguration(
            httpProxy: value("HTTP_PROXY", "http_proxy"),
            httpsProxy: value("HTTPS_PROXY", "https_proxy"),
            noProxy: value("NO_PROXY", "no_proxy")
        )
    }

    func proxy(forHTTPS https: Bool) -> String? { https ? httpsProxy : httpProxy }
}
