import JSONValue
import Foundation
import HTTPClient

/// What a watch (or a reflector) reports. `relisted` carries the complete current set after a (re)list,
/// so consumers can drop anything they hold that is no longer there.
public enum WatchEvent<Object: Sendable>: Sendable {
    case added(Object)
    case modified(Object)
    case deleted(Object)
    case bookmark(resourceVersion: String)
    case relisted([Object])
}

extension WatchEvent: Equatable where Object: Equatable {}

extension KubeClient {
    /// One watch request: events until the server closes the stream (timeoutSeconds) or fails it.
    /// A watch `ERROR` event becomes a thrown `KubeError` (410 `gone` when the version is too old).
    public func watch(_ resource: ResourceType, namespace: String?, options: ListOptions) -> AsyncThrowingStream<WatchEvent<JSONValue>, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await limiter.acquire()
                    let (client, request) = try await makeRequest(
                        method: .get, path: resource.path(namespace: namespace), query: options.queryItems(watch: true),
                        // A healthy watch always gets a bookmark or event within minutes; silence means a dead peer.
                        timeouts: HTTPTimeouts(connect: .seconds(10), total: nil, idle: .seconds(Int64(max(60, (options.timeoutSeconds ?? 300) + 30)))))
                    let response: HTTPStreamingResponse
                    do { response = try await client.stream(request) } catch let error as HTTPClientError { throw KubeError.from(error) }
                    guard (200..<300).contains(response.status) else {
                        let body = (try? await response.body.collect(upTo: 1 << 20)) ?? Data()
                        let error = KubeError.from(code: response.status, body: body, retryAfterHeader: response.headers["Retry-After"])
                        if response.status == 429 { await limiter.pause(for: error.retryAfter ?? .seconds(1)) }
                        throw error
                    }
                    do {
                        for try await line in response.body.lines where !line.isEmpty {
                            continuation.yield(try Self.decodeWatchLine(line))
                        }
                    } catch let error as HTTPClientError { throw KubeError.from(error) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    static func decodeWatchLine(_ line: String) throws -> WatchEvent<JSONValue> {
        guard let event = try? JSONValue.decode(line), let type = event["type"]?.stringValue, let object = event["object"] else {
            throw KubeError(kind: .retry, message: "undecodable watch event: \(line.prefix(200))")
        }
        switch type {
        case "ADDED": return .added(object)
        case "MODIFIED": return .modified(object)
        case "DELETED": return .deleted(object)
        case "BOOKMARK": return .bookmark(resourceVersion: object[path: "metadata", "resourceVersion"]?.stringValue ?? "")
        case "ERROR":
            let code = Int(object["code"]?.intValue ?? 500)
            throw KubeError.from(code: code, body: object.encoded(), retryAfterHeader: nil)
        default:
            throw KubeError(kind: .retry, message: "unknown watch event type '\(type)'")
        }
    }

    /// Container log; with `follow`, lines keep coming until the container stops.
    public func podLog(
        namespace: String? = nil, name: String, container: String? = nil, follow: Bool = false,
        previous: Bool = false, tailLines: Int? = nil
    ) -> AsyncThrowingStream<String, any Error> {
        var query: [(String, String)] = []
        if let container { query.append(("container", container)) }
        if follow { query.append(("follow", "true")) }
        if previous { query.append(("previous", "true")) }
        if let tailLines { query.append(("tailLines", String(tailLines))) }
        let path = ResourceType.pods.path(namespace: namespace ?? self.namespace, name: name, subresource: "log")
        let finalQuery = query
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await limiter.acquire()
                    let (client, request) = try await makeRequest(method: .get, path: path, query: finalQuery, accept: "*/*")
                    let response: HTTPStreamingResponse
                    do { response = try await client.stream(request) } catch let error as HTTPClientError { throw KubeError.from(error) }
                    guard (200..<300).contains(response.status) else {
                        let body = (try? await response.body.collect(upTo: 1 << 20)) ?? Data()
                        throw KubeError.from(code: response.status, body: body, retryAfterHeader: response.headers["Retry-After"])
                    }
                    for try await line in response.body.lines { continuation.yield(line) }
                    continuation.finish()
                } catch let error as HTTPClientError {
                    continuation.finish(throwing: KubeError.from(error))
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
