import JSONValue
import Foundation
import Logging

/// List+watch into a consistent cache (client-go's reflector + store, kube-rs's watcher):
/// lists, then watches from the list's resourceVersion with bookmarks; resumes from the last seen
/// version after a cut, relists on 410 Gone, backs off 0.8 s -> 30 s with jitter on failures.
/// `managedFields` are dropped before caching: they are most of a pod's bytes and nobody here reads them.
public actor Reflector {
    public struct Options: Sendable {
        public var namespace: String?
        public var labelSelector: String?
        public var fieldSelector: String?
        public var pageSize: Int
        /// Each watch asks the server to end after a random time in this range, as client-go does.
        public var watchTimeoutSeconds: ClosedRange<Int>
        public var initialBackoff: Duration
        public var maxBackoff: Duration
        /// Applied to every object before it is cached and emitted (client-go's transform func): a
        /// controller that reads a few fields keeps only those, so thousands of pods cost little memory.
        public var transform: (@Sendable (JSONValue) -> JSONValue)?

        public init(
            namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil, pageSize: Int = 500,
            watchTimeoutSeconds: ClosedRange<Int> = 300...600, initialBackoff: Duration = .milliseconds(800), maxBackoff: Duration = .seconds(30)
        ) {
            self.namespace = namespace
            self.labelSelector = labelSelector
            self.fieldSelector = fieldSelector
            self.pageSize = pageSize
            self.watchTimeoutSeconds = watchTimeoutSeconds
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
        }
    }

    public nonisolated let events: AsyncStream<WatchEvent<JSONValue>>
    private let continuation: AsyncStream<WatchEvent<JSONValue>>.Continuation
    private let client: KubeClient
    private let resource: ResourceType
    private let options: Options
    private var store: [String: JSONValue] = [:]
    private var resourceVersion: String?
    private var synced = false
    /// Counters a test or a metrics endpoint can read.
    public private(set) var relists = 0
    public private(set) var watchRestarts = 0

    public init(client: KubeClient, resource: ResourceType, options: Options = Options()) {
        self.client = client
        self.resource = resource
        self.options = options
        (events, continuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    public static func key(_ object: JSONValue) -> String {
        let namespace = object[path: "metadata", "namespace"]?.stringValue ?? ""
        let name = object[path: "metadata", "name"]?.stringValue ?? ""
        return namespace.isEmpty ? name : "\(namespace)/\(name)"
    }

    public var hasSynced: Bool { synced }
    public var lastResourceVersion: String? { resourceVersion }
    public func objects() -> [JSONValue] { Array(store.values) }
    public func object(namespace: String?, name: String) -> JSONValue? {
        store[(namespace ?? "").isEmpty ? name : "\(namespace ?? "")/\(name)"]
    }
    public var count: Int { store.count }

    /// Runs until the calling task is cancelled, then finishes `events`.
    public func run() async {
        var backoff = options.initialBackoff
        while !Task.isCancelled {
            do {
                if resourceVersion == nil { try await relist() }
                try await watchOnce()
                backoff = options.initialBackoff
            } catch let error as KubeError where error.kind == .gone {
                client.logger.debug("watch of \(resource) expired; relisting", metadata: ["resourceVersion": "\(resourceVersion ?? "")"])
                resourceVersion = nil
                continue
            } catch is CancellationError {
                break
            } catch {
                if Task.isCancelled { break }
                client.logger.warning("watch of \(resource) failed; retrying", metadata: ["error": "\(error)", "backoff": "\(backoff)"])
                let jitter = Double.random(in: 0.8...1.2)
                try? await Task.sleep(for: backoff * jitter)
                backoff = min(options.maxBackoff, backoff * 2)
            }
        }
        continuation.finish()
    }

    private func relist() async throws {
        let list = try await client.listAll(
            resource, namespace: options.namespace,
            options: ListOptions(labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, limit: options.pageSize))
        var fresh: [String: JSONValue] = [:]
        for item in list.items {
            let object = prepared(item)
            fresh[Self.key(object)] = object
        }
        store = fresh
        resourceVersion = list.resourceVersion
        synced = true
        relists += 1
        continuation.yield(.relisted(Array(fresh.values)))
    }

    private func watchOnce() async throws {
        watchRestarts += 1
        let timeout = Int.random(in: options.watchTimeoutSeconds)
        let stream = client.watch(
            resource, namespace: options.namespace,
            options: ListOptions(
                labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, resourceVersion: resourceVersion,
                timeoutSeconds: timeout, allowWatchBookmarks: true))
        for try await event in stream {
            apply(event)
        }
    }

    private func apply(_ event: WatchEvent<JSONValue>) {
        switch event {
        case .added(let raw), .modified(let raw):
            let object = prepared(raw)
            store[Self.key(object)] = object
            remember(object)
            continuation.yield(event.isAdded ? .added(object) : .modified(object))
        case .deleted(let raw):
            let object = prepared(raw)
            store.removeValue(forKey: Self.key(object))
            remember(object)
            continuation.yield(.deleted(object))
        case .bookmark(let version):
            if !version.isEmpty { resourceVersion = version }
            continuation.yield(event)
        case .relisted:
            break
        }
    }

    private func remember(_ object: JSONValue) {
        if let version = object[path: "metadata", "resourceVersion"]?.stringValue { resourceVersion = version }
    }

    private func prepared(_ object: JSONValue) -> JSONValue {
        let object = Self.prepare(object, kind: resource)
        return options.transform.map { $0(object) } ?? object
    }

    /// Watch events omit apiVersion/kind on some servers for lists; cached objects always carry them.
    static func prepare(_ object: JSONValue, kind: ResourceType) -> JSONValue {
        var object = object
        object[path: "metadata", "managedFields"] = nil
        if object["kind"] == nil { object["kind"] = .string(kind.kind) }
        if object["apiVersion"] == nil { object["apiVersion"] = .string(kind.apiVersion) }
        return object
    }
}

extension WatchEvent {
    var isAdded: Bool {
        if case .added = self { return true }
        return false
    }
}
