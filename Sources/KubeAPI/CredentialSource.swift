import Foundation
import HTTPClient

/// Supplies the HTTP client and `Authorization` for each request, refreshing rotating credentials:
/// token files are re-read every minute (projected service-account tokens rotate hourly), exec plugin
/// results are reused until shortly before they expire or until the server answers 401.
actor CredentialSource {
    private let configuration: KubeConfiguration
    private let baseClient: HTTPClient
    private var fileToken: (value: String, readAt: ContinuousClock.Instant)?
    private var execCredential: ExecCredential?
    private var execClient: HTTPClient?
    static let tokenFileRefresh: Duration = .seconds(60)

    init(configuration: KubeConfiguration) throws {
        self.configuration = configuration
        do {
            baseClient = try HTTPClient(configuration: Self.httpConfiguration(configuration, tls: configuration.tls))
        } catch {
            throw KubeError(kind: .fatal, message: "Kubernetes client TLS setup (\(configuration.source)): \(error)")
        }
    }

    static func httpConfiguration(_ configuration: KubeConfiguration, tls: TLSConfiguration) -> HTTPClientConfiguration {
        let proxy: ProxyConfiguration =
            configuration.proxyURL.map { ProxyConfiguration(httpProxy: $0, httpsProxy: $0) }
            ?? .fromEnvironment(ProcessInfo.processInfo.environment)
        var tls = tls
        tls.serverName = configuration.tlsServerName
        return HTTPClientConfiguration(
            tls: tls, proxy: proxy, timeouts: HTTPTimeouts(connect: .seconds(10), total: nil, idle: nil),
            userAgent: configuration.userAgent)
    }

    /// Forget cached credentials after a 401 so the next call fetches fresh ones.
    func invalidate() {
        fileToken = nil
        execCredential = nil
    }

    func current() async throws -> (HTTPClient, HTTPAuthorization?) {
        switch configuration.credentials {
        case .none: return (baseClient, nil)
        case .token(let token): return (baseClient, .bearer(token))
        case .basic(let user, let password): return (baseClient, .basic(username: user, password: password))
        case .tokenFile(let path):
            let now = ContinuousClock.now
            if let cached = fileToken, cached.readAt.duration(to: now) < Self.tokenFileRefresh {
                return (baseClient, .bearer(cached.value))
            }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                if let cached = fileToken { return (baseClient, .bearer(cached.value)) }
                throw KubeError(kind: .fatal, message: "token file '\(path)' is not readable")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            fileToken = (token, now)
            return (baseClient, .bearer(token))
        case .exec(let exec):
            if execCredential == nil || execCredential?.isFresh(now: Date()) == false {
                let credential: ExecCredential
                do { credential = try await ExecCredentialRunner.run(exec) } catch let error as KubeConfigError {
                    throw KubeError(kind: .fatal, message: error.description)
                }
                execCredential = credential
                execClient = nil
                if let cert = credential.clientCertificate, let key = credential.clientKey {
                    var tls = configuration.tls
                    tls.clientCertificate = .bytes(cert)
                    tls.clientKey = .bytes(key)
                    do {
                        execClient = try HTTPClient(configuration: Self.httpConfiguration(configuration, tls: tls))
                    } catch {
                        throw KubeError(kind: .fatal, message: "exec plugin client certificate: \(error)")
                    }
                }
            }
            return (execClient ?? baseClient, execCredential?.token.map { .bearer($0) })
        }
    }
}
