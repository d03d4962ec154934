import JSONValue
import Foundation
import KubeAPI

/// The cluster's whole state: every object of every resource, one resourceVersion counter, and a
/// bounded history of changes that watches replay from. An actor, so each change is atomic:
/// a write either lands whole with a new version and its event, or not at all.
actor ObjectStore {
    private var objects: [ResourceType: [String: JSONValue]] = [:]
    private var version: Int64 = 1
    private var history: [StoreEvent] = []
    /// Versions at or below this are gone from history: watching from them answers 410.
    private var compactedThrough: Int64 = 0
    private let historyLimit: Int
    private var watchers: [UUID: (filter: WatchFilter, continuation: AsyncStream<StoreEvent>.Continuation)] = [:]

    init(historyLimit: Int = 20_000) {
        self.historyLimit = historyLimit
    }

    static func key(namespace: String?, name: String) -> String {
        guard let namespace, !namespace.isEmpty else { return name }
        return "\(namespace)/\(name)"
    }

    var currentVersion: Int64 { version }

    func get(_ resource: ResourceType, namespace: String?, name: String) -> JSONValue? {
        objects[resource]?[Self.key(namespace: namespace, name: name)]
    }

    /// Sorted by key so `continue` tokens (the last key returned) page deterministically.
    func list(_ resource: ResourceType, filter: WatchFilter, after: String?, limit: Int?) -> (items: [JSONValue], last: String?, more: Bool, version: Int64) {
        let table = objects[resource] ?? [:]
        var keys = table.keys.sorted()
        if let after { keys = keys.filter { $0 > after } }
        var items: [JSONValue] = []
        var last: String?
        for key in keys {
            guard let object = table[key], filter.matches(object) else { continue }
            if let limit, items.count >= limit { return (items, last, true, version) }
            items.append(object)
            last = key
        }
        return (items, last, false, version)
    }

    func insert(_ resource: ResourceType, _ object: JSONValue) throws(APIError) -> JSONValue {
        let name = object[path: "metadata", "name"]?.stringValue ?? ""
        let namespace = object[path: "metadata", "namespace"]?.stringValue
        let key = Self.key(namespace: resource.namespaced ? namespace : nil, name: name)
        if objects[resource]?[key] != nil { throw .alreadyExists(resource.plural, name, group: resource.group) }
        var stored = object
        version += 1
        stored[path: "metadata", "resourceVersion"] = .string(String(version))
        objects[resource, default: [:]][key] = stored
        publish(StoreEvent(kind: .added, resource: resource, object: stored, previous: nil, resourceVersion: version))
        return stored
    }

    /// Replaces an object. With `expectedVersion` set, a different stored version is a 409 Conflict.
    func update(_ resource: ResourceType, _ object: JSONValue, expectedVersion: String?) throws(APIError) -> JSONValue {
        let name = object[path: "metadata", "name"]?.stringValue ?? ""
        let namespace = resource.namespaced ? object[path: "metadata", "namespace"]?.stringValue : nil
        let key = Self.key(namespace: namespace, name: name)
        guard let previous = objects[resource]?[key] else { throw .notFound(resource.plural, name, group: resource.group) }
        if let expectedVersion, !expectedVersion.isEmpty,
           previous[path: "metadata", "resourceVersion"]?.stringValue != expectedVersion {
            throw .conflict(resource.plural, name, group: resource.group)
        }
        var stored = object
        version += 1
        stored[path: "metadata", "resourceVersion"] = .string(String(version))
        objects[resource, default: [:]][key] = stored
        publish(StoreEvent(kind: .modified, resource: resource, object: stored, previous: previous, resourceVersion: version))
        return stored
    }

    /// Read-modify-write in one step; `change` returning nil leaves the object untouched.
    @discardableResult
    func mutate(_ resource: ResourceType, namespace: String?, name: String, _ change: @Sendable (JSONValue) throws(APIError) -> JSONValue?) throws(APIError) -> JSONValue {
        guard let current = get(resource, namespace: namespace, name: name) else {
            throw .notFound(resource.plural, name, group: resource.group)
        }
        guard let changed = try change(current), changed != current else { return current }
        return try update(resource, changed, expectedVersion: nil)
    }

    @discardableResult
    func remove(_ resource: ResourceType, namespace: String?, name: String) throws(APIError) -> JSONValue {
        let key = Self.key(namespace: resource.namespaced ? namespace : nil, name: name)
        guard var removed = objects[resource]?.removeValue(forKey: key) else {
            throw .notFound(resource.plural, name, group: resource.group)
        }
        version += 1
        removed[path: "metadata", "resourceVersion"] = .string(String(version))
        publish(StoreEvent(kind: .deleted, resource: resource, object: removed, previous: nil, resourceVersion: version))
        return removed
    }

    func all(_ resource: ResourceType) -> [JSONValue] { Array((objects[resource] ?? [:]).values) }

    private func publish(_ event: StoreEvent) {
        history.append(event)
        if history.count > historyLimit {
            let drop = historyLimit / 4
            compactedThrough = history[drop - 1].resourceVersion
            history.removeFirst(drop)
        }
        for (_, watcher) in watchers where watcher.filter.resource == event.resource {
            watcher.continuation.yield(event)
        }
    }

    /// Starts a watch. From a version: the history after it (410 when compacted away); without one:
    /// synthetic ADDED events for the current objects, as the apiserver does.
    func subscribe(_ filter: WatchFilter, from resourceVersion: Int64?) throws(APIError) -> (replay: [StoreEvent], stream: AsyncStream<StoreEvent>, id: UUID) {
        var replay: [StoreEvent] = []
        if let from = resourceVersion, from > 0 {
            if from < compactedThrough {
                throw .gone("too old resource version: \(from) (\(compactedThrough + 1))")
            }
            replay = history.filter { $0.resourceVersion > from && $0.resource == filter.resource }
        } else {
            replay = (objects[filter.resource] ?? [:]).values
                .filter(filter.matches)
                .map { StoreEvent(kind: .added, resource: filter.resource, object: $0, previous: nil, resourceVersion: version) }
        }
        let (stream, continuation) = AsyncStream.makeStream(of: StoreEvent.self, bufferingPolicy: .unbounded)
        let id = UUID()
        watchers[id] = (filter, continuation)
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(id) }
        }
        return (replay, stream, id)
    }

    func unsubscribe(_ id: UUID) {
        watchers.removeValue(forKey: id)?.continuation.finish()
    }

    /// Ends every watch (cluster stop, or the `--drop-watch-every` fault).
    func dropAllWatches() {
        for (_, watcher) in watchers { watcher.continuation.finish() }
        watchers.removeAll()
    }
}
