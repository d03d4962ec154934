import ClearMLConfig
import Foundation
import HTTPClient

/// Everything a session needs to reach one ClearML server, derived from the effective configuration.
public struct ClearMLSessionConfiguration: Sendable {
    public enum Credentials: Sendable, Equatable, CustomStringConvertible {
        case keys(accessKey: String, secretKey: String)
        /// `CLEARML_AUTH_TOKEN`: used as given, never renewed.
        case token(String)

        public var description: String {
            switch self {
            case .keys(let access, _): return "access key \(access)"
            case .token: return "auth token"
            }
        }
    }

    public var apiServer: String
    public var credentials: Credentials
    public var method: HTTPMethod
    public var http: HTTPClientConfiguration
    public var retry: RetryPolicy
    /// Sent as `X-ClearML-Worker`, so the server attributes events and reports to this worker.
    public var worker: String?
    public var clientName: String
    public var maxBatchBytes: Int
    /// Told about every finished call (metrics); nil for none.
    public var callObserver: (@Sendable (CallRecord) -> Void)?

    public init(
        apiServer: String, credentials: Credentials, method: HTTPMethod = .post,
        http: HTTPClientConfiguration = HTTPClientConfiguration(timeouts: HTTPTimeouts(connect: .seconds(10), total: .seconds(60))),
        retry: RetryPolicy = RetryPolicy(), worker: String? = nil, clientName: String = "clearml-glue",
        maxBatchBytes: Int = JSONLinesBatch.defaultMaxBytes
    ) {
        var server = apiServer
        while server.hasSuffix("/") { server.removeLast() }
        self.apiServer = server
        self.credentials = credentials
        self.method = method
        self.http = http
        self.retry = retry
        self.worker = worker
        self.clientName = clientName
        self.maxBatchBytes = maxBatchBytes
    }

    /// Builds the session settings from `api.*`, failing with what to set when the server or the
    /// credentials are missing, or when offline mode forbids any call.
    public init(settings: ClearMLSettings, worker: String? = nil) throws(ClearMLAPIError) {
        let api = settings.api
        if api.offlineMode {
            throw .configuration("offline mode is on (CLEARML_OFFLINE_MODE / api.offline_mode): clearml-glue needs a ClearML server; unset it")
        }
        if api.noDefaultServer && api.sources["api.api_server"] == .defaultValue {
            throw .configuration("no ClearML server is configured and CLEARML_NO_DEFAULT_SERVER forbids the default: set CLEARML_API_HOST or api.api_server in clearml.conf")
        }
        let credentials: Credentials
        if let token = api.authToken {
            credentials = .token(token)
        } else if let access = api.accessKey, let secret = api.secretKey {
            credentials = .keys(accessKey: access, secretKey: secret)
        } else {
            throw .configuration("no ClearML credentials: set CLEARML_API_ACCESS_KEY and CLEARML_API_SECRET_KEY (or api.credentials in clearml.conf, or CLEARML_AUTH_TOKEN); 'clearml-glue init' writes them")
        }
        var tls = TLSConfiguration()
        switch api.verifyCertificate {
        case .enabled: break
        case .disabled: tls.insecureSkipVerify = true
        case .caBundle(let path, _): tls = TLSConfiguration(certificateAuthority: .file(path), trustSystemRoots: false)
        }
        let method = HTTPMethod(rawValue: api.defaultRequestMethod)
        guard method == .get || method == .post || method == .put else {
            throw .configuration("api.http.default_method / CLEARML_API_DEFAULT_REQ_METHOD is '\(api.defaultRequestMethod)'; use GET or POST")
        }
        self.init(
            apiServer: api.apiServer, credentials: credentials, method: method,
            http: HTTPClientConfiguration(tls: tls, timeouts: HTTPTimeouts(connect: .seconds(10), total: .seconds(60))),
            worker: worker
        )
    }
}

/// One finished API call, as a metrics observer sees it.
public struct CallRecord: Sendable {
    public var endpoint: String
    public var duration: Duration
    /// nil on success; else a short kind: `server_<code>`, `transport`, `unavailable`, ...
    public var failure: String?
}
