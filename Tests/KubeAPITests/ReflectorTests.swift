import DevClusterTesting
import JSONValue
import DevCluster
import Foundation
import GlueTestSupport
import HTTPClient
import KubeAPI
import Testing

@Suite(.timeLimit(.minutes(2))) struct ReflectorTests {
    /// Collects the reflector's events until `done` says so; fails (instead of hanging) after `seconds`.
    func collect(_ reflector: Reflector, seconds: Double = 20,
                 until done: @escaping @Sendable ([WatchEvent<JSONValue>]) -> Bool) -> Task<[WatchEvent<JSONValue>], any Error> {
        Task {
            try await withDeadline(seconds) {
                var seen: [WatchEvent<JSONValue>] = []
                for await event in reflector.events {
                    seen.append(event)
                    if done(seen) { return seen }
                }
                throw ReflectorTestError("the reflector's events ended before the expected ones arrived: \(seen)")
            }
        }
    }

    /// Waits until `check` holds; a timeout is a failure with `what` in it, never ignored.
    func until(_ what: String, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation,
               _ check: () async throws -> Bool) async throws {
        let done = try await eventually(timeout: timeout) { try await check() ? true : nil }
        try #require(done == true, "timed out waiting for \(what)", sourceLocation: sourceLocation)
    }

    static func names(_ events: [WatchEvent<JSONValue>]) -> [String] {
        events.compactMap { event -> String? in
            if case .added(let o) = event { return o[path: "metadata", "name"]?.stringValue }
            return nil
        }
    }

    static func version(_ value: String?) -> Int? { value.flatMap { Int($0) } }

    /// The tests' own objects (the cluster keeps others, such as `kube-root-ca.crt`, in every namespace).
    static let selector = "test=reflector"
    static func configMap(_ name: String) -> JSONValue {
        ["metadata": ["name": .string(name), "labels": ["test": "reflector"]]]
    }

    @Test func watchResumesAfterCutsWithoutLosingEvents() async throws {
        try await withCluster({ $0.dropWatchEvery = 3 }) { _, kube in
            let reflector = Reflector(client: kube, resource: .configMaps, options: .init(namespace: "default", labelSelector: Self.selector, initialBackoff: .milliseconds(20)))
            let run = Task { await reflector.run() }
            defer { run.cancel() }
            try await until("the first sync") { await reflector.hasSynced }
            let want = (0..<10).map { "cm-\($0)" }
            let seen = collect(reflector) { Set(Self.names($0)).isSuperset(of: want) }
            var created: [String] = []
            for name in want {
                let object = try await kube.create(.configMaps, Self.configMap(name))
                created.append(try #require(object[path: "metadata", "resourceVersion"]?.stringValue))
            }
            let events = try await seen.value
            #expect(Set(Self.names(events)).isSuperset(of: want))
            // Resumed watches start from the last version seen: no relist, no duplicates.
            #expect(Self.names(events).count == 10)
            #expect(await reflector.relists == 1)
            #expect(await reflector.watchRestarts >= 3)
            #expect(await reflector.count == 10)
            // The version the reflector resumes from is the newest it was given, not the list's.
            let last = try #require(Self.version(await reflector.lastResourceVersion))
            #expect(last >= (created.compactMap { Int($0) }.max() ?? .max))
        }
    }

    @Test func relistsAfterGoneAndDropsManagedFields() async throws {
        try await withCluster({ $0.watchHistoryLimit = 8 }) { _, kube in
            let reflector = Reflector(client: kube, resource: .configMaps, options: .init(namespace: "default", labelSelector: Self.selector, watchTimeoutSeconds: 1...1, initialBackoff: .milliseconds(20)))
            let run = Task { await reflector.run() }
            defer { run.cancel() }
            try await until("the first sync") { await reflector.hasSynced }
            // Stop the reflector's watch from advancing while history moves far past its version.
            _ = try await kube.create(.configMaps, Self.configMap("first"))
            try await until("the first config map in the cache") { await reflector.count == 1 }
            run.cancel()
            await run.value
            let stale = try #require(Self.version(await reflector.lastResourceVersion))
            for i in 0..<40 { _ = try await kube.create(.pods, podManifest("filler-\(i)", command: ["true"])) }
            let second = try await kube.create(.configMaps, Self.configMap("second"))
            let secondVersion = try #require(Self.version(second[path: "metadata", "resourceVersion"]?.stringValue))
            let again = Task { await reflector.run() }
            defer { again.cancel() }
            try await until("a relist after 410 Gone") { await reflector.relists >= 2 }
            #expect(await reflector.relists == 2)
            #expect(await reflector.object(namespace: "default", name: "second") != nil)
            // The relist took the list's version: at least the second object's, far past the expired one.
            let relisted = try #require(Self.version(await reflector.lastResourceVersion))
            #expect(relisted >= secondVersion && relisted > stale + 8, "relisted at \(relisted), stale \(stale), second \(secondVersion)")
            let cached = await reflector.objects()
            #expect(cached.count == 2)
            #expect(cached.allSatisfy { $0[path: "metadata", "managedFields"] == nil })
        }
    }

    /// Each watch resumes from the newest version the reflector was given, a bookmark's included, and a
    /// bookmark never causes a relist. Against a scripted server, so every version asked for is known.
    /// (DevCluster's bookmarks repeat the last version sent on that watch, so they cannot move a client
    /// past changes of other resources the way kube-apiserver's do; see Tests/README.md.)
    @Test func bookmarksAdvanceTheVersion() async throws {
        let server = try await FixtureServer.startPython("kube_watch_script_server.py", [
            "--list-version", "100", "--watch", "ADDED:p1:120,BOOKMARK:250", "--watch", "ADDED:p2:260",
        ])
        let kube = try KubeClient(configuration: KubeConfiguration(server: "http://127.0.0.1:\(server.port)", qps: 0))
        let reflector = Reflector(client: kube, resource: .pods, options: .init(namespace: "default", initialBackoff: .milliseconds(20)))
        let seen = collect(reflector) { events in
            events.contains { if case .added(let pod) = $0 { return pod[path: "metadata", "name"] == "p2" } else { return false } }
        }
        let run = Task { await reflector.run() }
        defer { run.cancel() }
        let events = try await seen.value
        #expect(events.map(Self.describe) == ["relisted 0", "added p1", "bookmark 250", "added p2"])
        #expect(await reflector.lastResourceVersion == "260")
        try await until("the third watch") { try await Self.requests(server).filter { $0.watch }.count >= 3 }
        let requests = try await Self.requests(server)
        #expect(requests.filter { !$0.watch }.count == 1, "one list, never a relist: \(requests)")
        #expect(requests.first?.watch == false && requests.first?.resourceVersion == nil)
        #expect(requests.filter(\.watch).prefix(3).map(\.resourceVersion) == ["100", "250", "260"], "\(requests)")
        #expect(requests.filter(\.watch).allSatisfy { $0.bookmarks }, "every watch asks for bookmarks")
        #expect(await reflector.relists == 1)
    }

    struct SeenRequest: CustomStringConvertible {
        var watch: Bool
        var resourceVersion: String?
        var bookmarks: Bool
        var description: String { "\(watch ? "watch" : "list") rv=\(resourceVersion ?? "-")" }
    }

    static func requests(_ server: FixtureServer) async throws -> [SeenRequest] {
        let client = try HTTPClient(configuration: HTTPClientConfiguration(proxy: .none))
        let body = try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(server.port)/__requests")).ensureSuccess().body
        return try (JSONValue.decode(body).arrayValue ?? []).map { request in
            let query = request["query"]
            return SeenRequest(watch: query?["watch"]?[0]?.stringValue == "true",
                               resourceVersion: query?["resourceVersion"]?[0]?.stringValue,
                               bookmarks: query?["allowWatchBookmarks"]?[0]?.stringValue == "true")
        }
    }

    static func describe(_ event: WatchEvent<JSONValue>) -> String {
        switch event {
        case .relisted(let objects): "relisted \(objects.count)"
        case .added(let o): "added \(o[path: "metadata", "name"]?.stringValue ?? "?")"
        case .modified(let o): "modified \(o[path: "metadata", "name"]?.stringValue ?? "?")"
        case .deleted(let o): "deleted \(o[path: "metadata", "name"]?.stringValue ?? "?")"
        case .bookmark(let version): "bookmark \(version)"
        }
    }
}

/// A value shared with a `@Sendable` closure.
final class LockedValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

struct ReflectorTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
