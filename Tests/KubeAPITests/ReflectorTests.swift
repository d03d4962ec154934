import DevClusterTesting
import JSONValue
import DevCluster
import Foundation
import GlueTestSupport
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
    func until(_ what: String, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation,
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

    @Test func watchResumesAfterCutsWithoutLosingEvents() async throws {
        try await withCluster({ $0.dropWatchEvery = 3 }) { _, kube in
            let reflector = Reflector(client: kube, resource: .configMaps, options: .init(namespace: "default", initialBackoff: .milliseconds(20)))
            let run = Task { await reflector.run() }
            defer { run.cancel() }
            try await until("the first sync") { await reflector.hasSynced }
            let want = (0..<10).map { "cm-\($0)" }
            let seen = collect(reflector) { Set(Self.names($0)).isSuperset(of: want) }
            var created: [String] = []
            for name in want {
                let object = try await kube.create(.configMaps, ["metadata": ["name": .string(name)]])
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
            let reflector = Reflector(client: kube, resource: .configMaps, options: .init(namespace: "default", watchTimeoutSeconds: 1...1, initialBackoff: .milliseconds(20)))
            let run = Task { await reflector.run() }
            defer { run.cancel() }
            try await until("the first sync") { await reflector.hasSynced }
            // Stop the reflector's watch from advancing while history moves far past its version.
            _ = try await kube.create(.configMaps, ["metadata": ["name": "first"]])
            try await until("the first config map in the cache") { await reflector.count == 1 }
            run.cancel()
            await run.value
            let stale = try #require(Self.version(await reflector.lastResourceVersion))
            for i in 0..<40 { _ = try await kube.create(.pods, podManifest("filler-\(i)", command: ["true"])) }
            let second = try await kube.create(.configMaps, ["metadata": ["name": "second"]])
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

    @Test func bookmarksAdvanceTheVersion() async throws {
        try await withCluster { _, kube in
            let reflector = Reflector(client: kube, resource: .pods, options: .init(namespace: "default", watchTimeoutSeconds: 2...2))
            let target = LockedValue(Int.max)
            let seen = collect(reflector) { events in
                events.contains { if case .bookmark(let v) = $0 { return (Int(v) ?? 0) >= target.value } else { return false } }
            }
            let run = Task { await reflector.run() }
            defer { run.cancel() }
            try await until("the first sync") { await reflector.hasSynced }
            let listed = try #require(Self.version(await reflector.lastResourceVersion))
            // Another resource moves the cluster's version; no pod event does, so only a bookmark can carry
            // the reflector's version past it.
            let moved = try await kube.create(.configMaps, ["metadata": ["name": "moves-the-version"]])
            let movedTo = try #require(Self.version(moved[path: "metadata", "resourceVersion"]?.stringValue))
            #expect(movedTo > listed)
            target.value = movedTo
            let events = try await seen.value
            guard case .relisted(let pods) = events.first else {
                Issue.record("the first event is not the initial list: \(events.first.map { "\($0)" } ?? "none")")
                return
            }
            #expect(pods.isEmpty)
            #expect(!events.contains { if case .added = $0 { return true } else { return false } })
            let bookmarks = events.compactMap { event -> Int? in if case .bookmark(let v) = event { return Int(v) } else { return nil } }
            let last = try #require(bookmarks.last)
            #expect(last >= movedTo, "bookmarks: \(bookmarks)")
            // The version the reflector holds is the bookmark's, newer than anything the list gave it.
            let held = try #require(Self.version(await reflector.lastResourceVersion))
            #expect(held >= last)
            // A watch restarted after the bookmark resumes from it: no relist.
            let restarts = await reflector.watchRestarts
            try await until("a watch restart") { await reflector.watchRestarts > restarts }
            #expect(await reflector.relists == 1)
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
