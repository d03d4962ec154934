import JSONValue
import Foundation
import HTTPClient
import Logging

/// A thin Kubernetes REST client: objects are `JSONValue`s, failures are classified `KubeError`s,
/// every request passes the client-side limiter and carries fresh credentials.
public final class KubeClient: Sendable {
    public let configuration: KubeConfiguration
    public let limiter: RateLimiter
    let credentials: CredentialSource
    let logger: Logger

    public init(configuration: KubeConfiguration, logger: Logger = Logger(label: "kube")) throws {
        self.configuration = configuration
        self.limiter = RateLimiter(qps: configuration.qps, burst: configuration.burst)
        self.credentials = try CredentialSource(configuration: configuration)
        self.logger = logger
    }

    public var namespace: String { configuration.namespace }

    static func url(base: String, path: String, query: [(String, String)]) -> String {
        guard !query.isEmpty else { return base + path }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+,;!")
        let encoded = query.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }
        return base + path + "?" + encoded.joined(separator: "&")
    }

    func makeRequest(
        method: HTTPMethod, path: String, query: [(String, String)] = [], body: Data? = nil,
        contentType: String? = nil, accept: String = "application/json", timeouts: HTTPTimeouts? = nil
    ) async throws -> (HTTPClient, HTTPRequest) {
        let (client, authorization) = try await credentials.current()
        var headers: HTTPHeaders = ["Accept": accept]
        if let contentType { headers.add(name: "Content-Type", value: contentType) }
        let request = HTTPRequest(
            method: method, url: Self.url(base: configuration.server, path: path, query: query), headers: headers,
            body: body, authorization: authorization, timeouts: timeouts)
        return (client, request)
    }

    /// Sends one request and returns the decoded 2xx body; a 429 pauses the whole client.
    func send(
        method: HTTPMethod, path: String, query: [(String, String)] = [], body: JSONValue? = nil,
        contentType: String = "application/json"
    ) async throws -> JSONValue {
        try await sendReadingWarnings(method: method, path: path, query: query, body: body, contentType: contentType).object
    }

    /// `send`, also returning the answer's `Warning:` headers (unknown fields under `fieldValidation=Warn`,
    /// deprecations), which the API server sends with successful writes.
    func sendReadingWarnings(
        method: HTTPMethod, path: String, query: [(String, String)] = [], body: JSONValue? = nil,
        contentType: String = "application/json"
    ) async throws -> KubeWriteResult {
        var retriedAuth = false
        while true {
            try await limiter.acquire()
            let (client, request) = try await makeRequest(
                method: method, path: path, query: query, body: body?.encoded(), contentType: body == nil ? nil : contentType,
                timeouts: HTTPTimeouts(connect: .seconds(10), total: .seconds(60)))
            let response: HTTPResponse
            do { response = try await client.execute(request) } catch let error as HTTPClientError {
                throw KubeError.from(error)
            }
            if response.isSuccess {
                let warnings = response.headers.values(for: "Warning").compactMap(KubeWarning.text)
                for warning in warnings { logger.warning("the Kubernetes API warned", metadata: ["request": "\(method) \(path)", "warning": "\(warning)"]) }
                do { return KubeWriteResult(object: try JSONValue.decode(response.body), warnings: warnings) } catch {
                    throw KubeError(kind: .fatal, code: response.status, message: "undecodable answer to \(method) \(path)")
                }
            }
            let error = KubeError.from(code: response.status, body: response.body, retryAfterHeader: response.headers["Retry-After"])
            if response.status == 401, !retriedAuth {
                retriedAuth = true
                await credentials.invalidate()
                continue
            }
            if response.status == 429 {
                await limiter.pause(for: error.retryAfter ?? .seconds(1))
            }
            throw error
        }
    }

    // MARK: CRUD

    public func get(_ resource: ResourceType, namespace: String? = nil, name: String, subresource: String? = nil) async throws -> JSONValue {
        try await send(method: .get, path: resource.path(namespace: namespace ?? self.namespace, name: name, subresource: subresource))
    }

    /// One page; pass `options.limit` and `continueToken` to page.
    public func list(_ resource: ResourceType, namespace: String?, options: ListOptions = ListOptions()) async throws -> ObjectList {
        let answer = try await send(method: .get, path: resource.path(namespace: namespace), query: options.queryItems(watch: false))
        let continueToken = answer[path: "metadata", "continue"]?.stringValue
        return ObjectList(
            items: answer["items"]?.arrayValue ?? [],
            resourceVersion: answer[path: "metadata", "resourceVersion"]?.stringValue ?? "",
            continueToken: (continueToken?.isEmpty ?? true) ? nil : continueToken)
    }

    /// Every page, following `continue` tokens.
    public func listAll(_ resource: ResourceType, namespace: String?, options: ListOptions = ListOptions()) async throws -> ObjectList {
        var options = options
        var all = try await list(resource, namespace: namespace, options: options)
        while let token = all.continueToken {
            options.continueToken = token
            let page = try await list(resource, namespace: namespace, options: options)
            all.items += page.items
            all.continueToken = page.continueToken
        }
        return all
    }

    public func create(_ resource: ResourceType, namespace: String? = nil, _ object: JSONValue, fieldManager: String? = nil) async throws -> JSONValue {
        try await create(resource, namespace: namespace, object, options: WriteOptions(fieldManager: fieldManager)).object
    }

    /// POST with write options (`dryRun=All`, `fieldValidation`), returning the server's warnings too.
    public func create(_ resource: ResourceType, namespace: String? = nil, _ object: JSONValue, options: WriteOptions) async throws -> KubeWriteResult {
        var body = object
        if body["apiVersion"] == nil { body["apiVersion"] = .string(resource.apiVersion) }
        if body["kind"] == nil { body["kind"] = .string(resource.kind) }
        let ns = namespace ?? object[path: "metadata", "namespace"]?.stringValue ?? self.namespace
        return try await sendReadingWarnings(method: .post, path: resource.path(namespace: ns), query: options.queryItems, body: body)
    }

    /// PUT: optimistic concurrency through `metadata.resourceVersion` (409 `conflict` when stale).
    public func replace(_ resource: ResourceType, namespace: String? = nil, _ object: JSONValue, subresource: String? = nil) async throws -> JSONValue {
        guard let name = object[path: "metadata", "name"]?.stringValue else {
            throw KubeError(kind: .invalid, message: "\(resource.kind) to replace has no metadata.name")
        }
        let ns = namespace ?? object[path: "metadata", "namespace"]?.stringValue ?? self.namespace
        return try await send(method: .put, path: resource.path(namespace: ns, name: name, subresource: subresource), body: object)
    }

    /// Returns the object as the server last reported it (with deletionTimestamp while terminating),
    /// or the Status the server answered with.
    @discardableResult
    public func delete(_ resource: ResourceType, namespace: String? = nil, name: String, options: DeleteOptions = DeleteOptions()) async throws -> JSONValue {
        try await send(method: .delete, path: resource.path(namespace: namespace ?? self.namespace, name: name), body: options.body)
    }

    public func patch(
        _ resource: ResourceType, namespace: String? = nil, name: String, _ patch: Patch, subresource: String? = nil
    ) async throws -> JSONValue {
        var query: [(String, String)] = []
        if case .apply(_, let manager, let force) = patch {
            query.append(("fieldManager", manager))
            if force { query.append(("force", "true")) }
        }
        return try await send(
            method: .patch, path: resource.path(namespace: namespace ?? self.namespace, name: name, subresource: subresource),
            query: query, body: patch.body, contentType: patch.contentType)
    }

    /// Writes `status` through the status subresource (the main resource ignores status changes).
    public func updateStatus(_ resource: ResourceType, namespace: String? = nil, _ object: JSONValue) async throws -> JSONValue {
        try await replace(resource, namespace: namespace, object, subresource: "status")
    }
}
