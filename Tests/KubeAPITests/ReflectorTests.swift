import DevClusterTesting
import JSONValue
import DevCluster
import Foundation
import KubeAPI
import Testing

@Suite struct ReflectorTests {
    func collect(_ reflector: Reflector, until done: @escaping @Sendable ([WatchEvent<JSONValue>]) -> Bool) -> Task<[WatchEvent<JSONValue>], Never> {
        Task {
            var seen: [WatchEvent<JSONValue>] = []
            for await event in reflector.events {
                seen.append(event)
                if done(seen) { break }
            }
            return seen
        }
    }

    static func names(_ events: [WatchEvent<JSONValue>]) -> [String] {
        events.compactMap { event -> String? in
            if case .added(let o) = event { return o[path: "metadata", "name"]?.stringValue }
            return nil
        }
    }

    @Test func watchResumesAfterCutsWithoutLosingEvents() async throws {
        try await withCluster({ $0.dropWatchEvery = 3 }) { _, kube in
            let reflector = Reflector(client: kube, resource: .configMaps, options: .init(namespace: "default", initialBackoff: .milliseconds(20)))
            let run = Task { await reflector.run() }
            defer { run.cancel() }
            _ = try await eventually { await reflector.hasSynced ? true : nil }
            let want = (0..<10).map { "cm-\($0)" }
            let seen = collect(reflector) { Set(Self.names($0)).isSuperset(of: want) }
            for name in want { _ = try await kube.create(.configMaps, ["metadata": ["name": .string(name)]]) }
            let events = await seen.value
            #expect(Set(Self.names(events)).isSuperset(of: want))
            // Resumed watches start from the last version seen: no relist, no duplicates.
            #expect(Self.names(events).count == 10)
            #expect(await reflector.relists == 1)
            #expect(await reflector.watchRestarts >= 3)
            #expect(await reflector.count == 10)
        }
    }

    @Test func relistsAfterGoneAndDropsManagedFields() async throws {
        try await withCluster({ $0.watchHistoryLimit = 8 }) { _, kube in
            let reflector = Reflector(client: kube, resource: .configMaps, options: .init(namespace: "default", watchTimeoutSeconds: 1...1, initialBackoff: .milliseconds(20)))
            let run = Task { await reflector.run() }
            defer { run.cancel() }
            _ = try await eventually { await reflector.hasSynced ? true : nil }
            // Stop the reflector's watch from advancing while history moves far past its version.
            _ = try await kube.create(.configMaps, ["metadata": ["name": "first"]])
            _ = try await eventually { await reflector.count == 1 ? true : nil }
            run.cancel()
            await run.value
            for i in 0..<40 { _ = try await kube.create(.pods, podManifest("filler-\(i)", command: ["true"])) }
            _ = try await kube.create(.configMaps, ["metadata": ["name": "second"]])
            let again = Task { await reflector.run() }
            defer { again.cancel() }
            let relisted = try await eventually { await reflector.relists >= 2 ? true : nil }
            #expect(relisted == true)
            #expect(await reflector.object(namespace: "default", name: "second") != nil)
            let cached = await reflector.objects()
            #expect(cached.allSatisfy { $0[path: "metadata", "managedFields"] == nil })
        }
    }

    @Test func bookmarksAdvanceTheVersion() async throws {
        try await withCluster { _, kube in
            let reflector = Reflector(client: kube, resource: .pods, options: .init(namespace: "default"))
            let run = Task { await reflector.run() }
            defer { run.cancel() }
            let seen = collect(reflector) { events in
                events.contains { if case .bookmark = $0 { return true } else { return false } }
            }
            let events = await seen.value
            #expect(events.contains { if case .relisted = $0 { return true } else { return false } })
        }
    }
}
