import JSONValue
import Foundation
import KubeAPI
import Synchronization

extension ClusterAPI {
    /// A chunked stream of `{"type":...,"object":...}` lines: history replay (or synthetic ADDED events),
    /// then live changes, BOOKMARKs when asked, ended by `timeoutSeconds`. A too-old version is answered
    /// as the apiserver does for watches: an ERROR event carrying a 410 Status.
    func watch(_ type: ResourceType, namespace: String?, _ request: APIRequest) async throws -> APIResponse {
        let filter = WatchFilter(
            resource: type, namespace: namespace, labels: try LabelSelector(parsing: request.query["labelSelector"]),
            fields: try FieldSelector(parsing: request.query["fieldSelector"]))
        // Streaming lists (KEP-3157, client-go's WatchListClient, on by default from client-go 1.35 as in Helm 4):
        // `sendInitialEvents=true` asks for the current objects as ADDED events, then a BOOKMARK annotated
        // `k8s.io/initial-events-end`, then changes, whatever `resourceVersion` says (NotOlderThan it, and this
        // store is never behind).
        let initialEvents = request.flag("sendInitialEvents")
        let from = initialEvents ? nil : request.query["resourceVersion"].flatMap { Int64($0) }
        let asTable = TableView.wantsTable(request.accept)
        let includeObject = request.query["includeObject"]
        let bookmarks = request.flag("allowWatchBookmarks")
        let timeout = request.query["timeoutSeconds"].flatMap { Int($0) }.map { Duration.seconds($0) }
        let (output, continuation) = AsyncStream.makeStream(of: Data.self, bufferingPolicy: .unbounded)

        let subscription: (replay: [StoreEvent], stream: AsyncStream<StoreEvent>, id: UUID)
        do {
            subscription = try await store.subscribe(filter, from: from)
        } catch {
            continuation.yield(Self.line(type: "ERROR", object: error.status))
            continuation.finish()
            return .stream(contentType: "application/json", output)
        }
        let startVersion = await store.currentVersion
        let lastSent = Mutex<Int64>(from ?? startVersion)
        let store = self.store
        let dropAfter = faultSettings.dropWatchEvery
        let emit: @Sendable (StoreEvent) -> Bool = { event in
            guard let (kind, object) = filter.translate(event) else { return true }
            let body = asTable
                ? TableView.table(type, objects: [object], resourceVersion: String(event.resourceVersion), includeObject: includeObject)
                : object
            lastSent.withLock { $0 = max($0, event.resourceVersion) }
            continuation.yield(Self.line(type: kind, object: body))
            return true
        }
        let pump = Task {
            var sent = 0
            for event in subscription.replay { _ = emit(event) }
            if initialEvents {
                continuation.yield(Self.line(type: "BOOKMARK", object: [
                    "kind": .string(type.kind), "apiVersion": .string(type.apiVersion),
                    "metadata": ["resourceVersion": .string(String(startVersion)), "annotations": ["k8s.io/initial-events-end": "true"]],
                ]))
            }
            for await event in subscription.stream {
                _ = emit(event)
                sent += 1
                if let dropAfter, sent >= dropAfter { break }
            }
            continuation.finish()
        }
        let ticker = Task {
            let started = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: bookmarks ? bookmarkInterval : .seconds(3600))
                if Task.isCancelled { break }
                if let timeout, started.duration(to: .now) >= timeout {
                    continuation.finish()
                    break
                }
                if bookmarks {
                    let version = lastSent.withLock { $0 }
                    continuation.yield(Self.line(type: "BOOKMARK", object: [
                        "kind": .string(type.kind), "apiVersion": .string(type.apiVersion),
                        "metadata": ["resourceVersion": .string(String(version))],
                    ]))
                }
            }
        }
        let timer = timeout.map { limit in
            Task {
                try? await Task.sleep(for: limit)
                continuation.finish()
            }
        }
        continuation.onTermination = { _ in
            pump.cancel()
            ticker.cancel()
            timer?.cancel()
            Task { await store.unsubscribe(subscription.id) }
        }
        return .stream(contentType: "application/json", output)
    }

    static func line(type: String, object: JSONValue) -> Data {
        var data = JSONValue.object(["type": .string(type), "object": object]).encoded()
        data.append(0x0A)
        return data
    }
}
