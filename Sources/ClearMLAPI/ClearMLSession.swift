import Foundation
import HTTPClient
import JSONValue
import Logging

/// A logged-in connection to one ClearML server: logs in with the access/secret key (Basic), uses the
/// returned JWT as Bearer, renews it before it expires and once after a 401, and retries transient
/// failures with backoff. Every typed call in this module goes through `call`.
public actor ClearMLSession {
    public nonisolated let configuration: ClearMLSessionConfiguration
    private let http: HTTPClient
    private let logger: Logger
    private var token: String?
    private var claims: TokenClaims?
    private var login: Task<String, any Error>?

    public init(configuration: ClearMLSessionConfiguration, logger: Logger = Logger(label: "clearml.api")) throws(ClearMLAPIError) {
        self.configuration = configuration
        do { http = try HTTPClient(configuration: configuration.http) } catch {
            throw .configuration("cannot set up HTTPS to \(configuration.apiServer): \(error)")
        }
        self.logger = logger
        if case .token(let given) = configuration.credentials {
            token = given
            claims = TokenClaims(token: given)
        }
    }

    /// The server's API version from the token (for example "2.31"), once logged in.
    public var serverAPIVersion: String? { claims?.apiVersion }

    /// Calls `service.action` with a JSON body and returns the envelope's `data`.
    /// - Parameters:
    ///   - version: sent as `/v<version>/`; nil uses the server's newest.
    ///   - idempotent: false for calls that must not be repeated after a lost answer (queue pops, claims).
    public func call(_ endpoint: String, _ body: JSONValue = [:], version: String? = nil, idempotent: Bool = true) async throws(ClearMLAPIError) -> JSONValue {
        try await observed(endpoint) { () async throws(ClearMLAPIError) -> JSONValue in
            try await send(endpoint, body: body.encoded(), contentType: "application/json", version: version, idempotent: idempotent)
        }
    }

    private func observed<T>(_ endpoint: String, _ body: () async throws(ClearMLAPIError) -> T) async throws(ClearMLAPIError) -> T {
        guard let observer = configuration.callObserver else { return try await body() }
        let start = ContinuousClock.now
        do {
            let result = try await body()
            observer(CallRecord(endpoint: endpoint, duration: .now - start, failure: nil))
            return result
        } catch {
            observer(CallRecord(endpoint: endpoint, duration: .now - start, failure: error.metricKind))
            throw error
        }
    }

    /// Sends json-lines batches (`events.add_batch`), split to stay under the configured request size;
    /// returns each batch's `data`.
    public func callBatch(_ endpoint: String, _ items: [JSONValue], version: String? = nil) async throws(ClearMLAPIError) -> [JSONValue] {
        var results: [JSONValue] = []
        for body in JSONLinesBatch.bodies(for: items, maxBytes: configuration.maxBatchBytes) {
            results.append(try await observed(endpoint) { () async throws(ClearMLAPIError) -> JSONValue in
                try await send(endpoint, body: body, contentType: "application/json-lines", version: version, idempotent: true)
            })
        }
        return results
    }

    private func send(_ endpoint: String, body: Data, contentType: String, version: String?, idempotent: Bool) async throws(ClearMLAPIError) -> JSONValue {
        let url = configuration.apiServer + (version.map { "/v\($0)/" } ?? "/") + endpoint
        var attempt = 0
        var reauthenticated = false
        while true {
            attempt += 1
            let bearer = try await currentToken(endpoint: endpoint)
            let request = HTTPRequest(method: configuration.method, url: url, headers: headers(contentType: contentType),
                                      body: body, authorization: .bearer(bearer))
            let failure: RetryPolicy.Failure
            var retryAfter: Duration?
            do {
                let response = try await http.execute(request)
                if response.status == 401, !reauthenticated, case .keys = configuration.credentials {
                    reauthenticated = true
                    invalidate(bearer)
                    attempt -= 1
                    continue
                }
                if let envelope = ResponseEnvelope(body: response.body) {
                    if envelope.code == 200 { return envelope.data }
                    if !RetryPolicy.shouldRetry(.status(envelope.code), idempotent: idempotent) {
                        throw ClearMLAPIError.server(endpoint: endpoint, code: envelope.code, subcode: envelope.subcode, message: envelope.message)
                    }
                } else if response.isSuccess || !RetryPolicy.shouldRetry(.status(response.status), idempotent: idempotent) {
                    throw ClearMLAPIError.invalidResponse(endpoint: endpoint, status: response.status, detail: Self.snippet(response.body))
                }
                failure = .status(response.status)
                retryAfter = RetryPolicy.retryAfter(from: response.headers["Retry-After"])
            } catch let error as ClearMLAPIError {
                throw error
            } catch let error as HTTPClientError {
                if error == .cancelled || !RetryPolicy.shouldRetry(.transport(error), idempotent: idempotent) {
                    throw .transport(endpoint: endpoint, error)
                }
                failure = .transport(error)
            } catch {
                throw .transport(endpoint: endpoint, .transport(code: -1, host: configuration.apiServer, detail: "\(error)"))
            }
            guard attempt < configuration.retry.maxAttempts else {
                throw .unavailable(endpoint: endpoint, attempts: attempt, lastError: Self.describe(failure))
            }
            let pause = configuration.retry.delay(afterAttempt: attempt, retryAfter: retryAfter, random: Double.random(in: 0..<1))
            logger.warning("ClearML call failed, retrying", metadata: [
                "endpoint": "\(endpoint)", "attempt": "\(attempt)", "error": "\(Self.describe(failure))", "retry_in": "\(pause)",
            ])
            do { try await Task.sleep(for: pause) } catch { throw .transport(endpoint: endpoint, .cancelled) }
        }
    }

    private func headers(contentType: String) -> HTTPHeaders {
        var headers: HTTPHeaders = ["Content-Type": contentType, "X-ClearML-Client": configuration.clientName]
        if let worker = configuration.worker { headers.add(name: "X-ClearML-Worker", value: worker) }
        return headers
    }

    /// A valid token, logging in when there is none or it is about to expire. Concurrent callers share
    /// one login.
    private func currentToken(endpoint: String) async throws(ClearMLAPIError) -> String {
        if let token, !(claims?.needsRenewal(now: Date()) ?? false) { return token }
        guard case .keys(let access, let secret) = configuration.credentials else {
            if let token { return token }  // a given token is used as is, even near expiry
            throw .authentication("the CLEARML_AUTH_TOKEN was rejected; set a fresh token or use access/secret keys")
        }
        let pending = login ?? Task { [http, configuration] in
            try await Self.logIn(http: http, configuration: configuration, access: access, secret: secret)
        }
        login = pending
        defer { login = nil }
        do {
            let fresh = try await pending.value
            token = fresh
            claims = TokenClaims(token: fresh)
            return fresh
        } catch let error as ClearMLAPIError {
            throw error
        } catch {
            throw .authentication("login to \(configuration.apiServer) failed: \(error)")
        }
    }

    private func invalidate(_ rejected: String) {
        if token == rejected {
            token = nil
            claims = nil
        }
        if case .token = configuration.credentials { token = nil }
    }

    /// Basic-auth login, retried like any idempotent call; wrong keys fail at once with what to fix.
    private static func logIn(http: HTTPClient, configuration: ClearMLSessionConfiguration, access: String, secret: String) async throws -> String {
        let url = configuration.apiServer + "/auth.login"
        var attempt = 0
        while true {
            attempt += 1
            let failure: RetryPolicy.Failure
            do {
                let response = try await http.execute(HTTPRequest(method: configuration.method, url: url,
                                                                  headers: ["X-ClearML-Client": configuration.clientName],
                                                                  authorization: .basic(username: access, password: secret)))
                if let envelope = ResponseEnvelope(body: response.body) {
                    if envelope.code == 401 {
                        throw ClearMLAPIError.authentication(
                            "ClearML rejected the credentials (\(envelope.code)/\(envelope.subcode) \(envelope.message)) for access key \(access): check api.credentials / CLEARML_API_ACCESS_KEY and CLEARML_API_SECRET_KEY")
                    }
                    if envelope.code == 200, let token = envelope.data["token"]?.stringValue { return token }
                    guard RetryPolicy.shouldRetry(.status(envelope.code), idempotent: true) else {
                        throw ClearMLAPIError.server(endpoint: "auth.login", code: envelope.code, subcode: envelope.subcode, message: envelope.message)
                    }
                } else if !RetryPolicy.shouldRetry(.status(response.status), idempotent: true) {
                    throw ClearMLAPIError.invalidResponse(endpoint: "auth.login", status: response.status, detail: snippet(response.body))
                }
                failure = .status(response.status)
            } catch let error as HTTPClientError {
                guard RetryPolicy.shouldRetry(.transport(error), idempotent: true) else {
                    throw ClearMLAPIError.transport(endpoint: "auth.login", error)
                }
                failure = .transport(error)
            }
            guard attempt < configuration.retry.maxAttempts else {
                throw ClearMLAPIError.unavailable(endpoint: "auth.login", attempts: attempt, lastError: describe(failure))
            }
            try await Task.sleep(for: configuration.retry.delay(afterAttempt: attempt, retryAfter: nil, random: .random(in: 0..<1)))
        }
    }

    private static func describe(_ failure: RetryPolicy.Failure) -> String {
        switch failure {
        case .status(let code): return "HTTP \(code)"
        case .transport(let error): return "\(error)"
        }
    }

    private static func snippet(_ body: Data) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
        return text.isEmpty ? "empty body" : "body starts: \(text)"
    }
}
