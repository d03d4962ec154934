import JSONValue
import Foundation
import KubeAPI
import Synchronization
import Testing

/// Run by `bench/cluster.sh` against a `clearml-glue-dev cluster` in another process (so the memory figure
/// is the client's alone); skipped in the normal test run.
final class Timings: Sendable {
    let sent = Mutex<[String: ContinuousClock.Instant]>([:])
    let latencies = Mutex<[Double]>([])
}

@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["CLUSTER_BENCH_KUBECONFIG"] != nil), .timeLimit(.minutes(10)))
struct ClusterBenchmark {
    static func residentBytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }

    func client() throws -> KubeClient {
        var configuration = try KubeConfiguration.load(kubeconfig: ProcessInfo.processInfo.environment["CLUSTER_BENCH_KUBECONFIG"], environment: [:])
        configuration.qps = 0  // limiter off: measure the cluster and the client, not the bucket
        return try KubeClient(configuration: configuration)
    }

    static func pod(_ name: String, image: String, command: [JSONValue]) -> JSONValue {
        [
            "metadata": ["name": .string(name), "labels": ["bench": "yes", "CLEARML": "agent-bench", "clearml-task-id": .string(name)]],
            "spec": ["restartPolicy": "Never", "containers": [[
                "name": "main", "image": .string(image), "command": .array(command),
                "env": [["name": "CLEARML_TASK_ID", "value": .string(name)]],
                "resources": ["requests": ["cpu": "100m", "memory": "64Mi"]],
            ]]],
        ]
    }

    @Test func createsAndWatchLatency() async throws {
        let kube = try client()
        let count = Int(ProcessInfo.processInfo.environment["CLUSTER_BENCH_PODS"] ?? "1000") ?? 1000
        let namespace = "bench-\(UUID().uuidString.prefix(6).lowercased())"
        _ = try await kube.create(.namespaces, ["metadata": ["name": .string(namespace)]])
        let box = Timings()
        let reflector = Reflector(client: kube, resource: .pods, options: .init(namespace: namespace))
        let run = Task { await reflector.run() }
        defer { run.cancel() }
        while await !reflector.hasSynced { try await Task.sleep(for: .milliseconds(10)) }
        let seenAll = Task {
            for await event in reflector.events {
                guard case .added(let object) = event, let name = object[path: "metadata", "name"]?.stringValue else { continue }
                let now = ContinuousClock.now
                if let start = box.sent.withLock({ $0[name] }) {
                    let d = start.duration(to: now)
                    let done = box.latencies.withLock { list -> Bool in
                        list.append(Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
                        return list.count == count
                    }
                    if done { return }
                }
            }
        }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            let workers = 16
            for w in 0..<workers {
                group.addTask {
                    for i in stride(from: w, to: count, by: workers) {
                        let name = "bench-\(i)"
                        box.sent.withLock { $0[name] = .now }
                        _ = try await kube.create(.pods, namespace: namespace, Self.pod(name, image: "busybox:1.36", command: ["true"]))
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = start.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        await seenAll.value
        let sorted = box.latencies.withLock { $0 }.sorted()
        print(String(format: "BENCH pods=%d creates_per_second=%.0f watch_latency_ms_p50=%.1f p99=%.1f", count, Double(count) / seconds,
                     Self.percentile(sorted, 0.5), Self.percentile(sorted, 0.99)))
        #expect(sorted.count == count)
        try await kube.delete(.namespaces, name: namespace)
    }

    @Test func clientMemoryWithTwoThousandPodsCached() async throws {
        let kube = try client()
        let namespace = "benchmem-\(UUID().uuidString.prefix(6).lowercased())"
        _ = try await kube.create(.namespaces, ["metadata": ["name": .string(namespace)]])
        // Images matching the cluster's --fail-image-pattern: full pod objects with statuses, no processes.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<16 {
                group.addTask {
                    for i in stride(from: w, to: 2000, by: 16) {
                        _ = try await kube.create(.pods, namespace: namespace, Self.pod("mem-\(i)", image: "bench-nopull/task:1", command: ["python", "-m", "task"]))
                    }
                }
            }
            try await group.waitForAll()
        }
        let before = Self.residentBytes()
        let reflector = Reflector(client: kube, resource: .pods, options: .init(namespace: namespace))
        let run = Task { await reflector.run() }
        while await reflector.count < 2000 { try await Task.sleep(for: .milliseconds(20)) }
        let after = Self.residentBytes()
        run.cancel()
        print(String(format: "BENCH cached_pods=%d client_rss_delta_mb=%.1f client_rss_total_mb=%.1f", await reflector.count,
                     Double(after - before) / 1_048_576, Double(after) / 1_048_576))
        #expect(await reflector.count == 2000)
        try await kube.delete(.namespaces, name: namespace)
    }
}
