/// `api.*`: where the ClearML server is and how to authenticate to it.
extension ClearMLSettings {

    public enum CertificateVerification: Sendable, Hashable {
        case enabled
        case disabled
        /// Verify against this CA bundle (path as written, before `~` expansion).
        case caBundle(path: String, source: ConfigSource)
    }

    public struct API: Sendable, Hashable {
        public var apiServer: String
        public var webServer: String
        public var filesServer: String
        public var accessKey: String?
        public var secretKey: String?
        public var authToken: String?
        public var verifyCertificate: CertificateVerification
        public var defaultRequestMethod: String
        public var noDefaultServer: Bool
        public var offlineMode: Bool
        /// Where each server URL came from, for messages.
        public var sources: [String: ConfigSource]

        public var hasCredentials: Bool { (accessKey != nil && secretKey != nil) || authToken != nil }

        init(_ config: EffectiveConfig) throws(ConfigError) {
            apiServer = try Self.url(config, "api.api_server", fallback: "http://localhost:8008")
            webServer = try Self.url(config, "api.web_server", fallback: "http://localhost:8080")
            filesServer = try Self.url(config, "api.files_server", fallback: "http://localhost:8081")
            accessKey = try config.nonEmptyString("api.credentials.access_key")
            secretKey = try config.nonEmptyString("api.credentials.secret_key")
            authToken = try config.nonEmptyString("api.auth_token")
            verifyCertificate = try Self.verification(config)
            defaultRequestMethod = (try config.nonEmptyString("api.http.default_method") ?? "GET").uppercased()
            noDefaultServer = try config.bool("api.no_default_server") ?? false
            offlineMode = try config.bool("api.offline_mode") ?? false
            var sources: [String: ConfigSource] = [:]
            for path in ["api.api_server", "api.web_server", "api.files_server"] {
                sources[path] = config.source(of: path)
            }
            self.sources = sources
        }

        private static func url(_ config: EffectiveConfig, _ path: String, fallback: String) throws(ConfigError) -> String {
            var text = try config.nonEmptyString(path) ?? fallback
            while text.hasSuffix("/") { text.removeLast() }
            return text
        }

        /// `true`/`false` (any boolean word), or a CA bundle path. Unlike upstream, "0" means off.
        private static func verification(_ config: EffectiveConfig) throws(ConfigError) -> CertificateVerification {
            guard let value = config.value(at: "api.verify_certificate") else { return .enabled }
            switch value.kind {
            case let .bool(flag): return flag ? .enabled : .disabled
            case let .int(number) where number == 0 || number == 1: return number == 1 ? .enabled : .disabled
            case .null: return .enabled
            case let .string(text):
                if let flag = BooleanText.parse(text) { return flag ? .enabled : .disabled }
                let path = text.trimmingWhitespace
                if path.isEmpty { return .enabled }
                return .caBundle(path: path, source: value.source)
            default:
                throw config.mismatch("api.verify_certificate", value, expected: "a boolean or a CA bundle path")
            }
        }
    }
}
