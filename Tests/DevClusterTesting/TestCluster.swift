import JSONValue
import DevCluster
import Foundation
import KubeAPI
import Testing

/// Starts a DevCluster on a random loopback port in a fresh folder, runs `body`, and always stops it.
public func withCluster<T>(
    _ configure: (inout DevClusterConfiguration) -> Void = { _ in },
    _ body: (DevCluster, KubeClient) async throws -> T
) async throws -> T {
    var configuration = DevClusterConfiguration()
    configuration.dataDirectory = NSTemporaryDirectory() + "devcluster-test-" + UUID().uuidString.prefix(8)
    configuration.bookmarkInterval = .milliseconds(200)
    configure(&configuration)
    let cluster = try await DevCluster.start(configuration)
    do {
        var kube = try KubeConfiguration.load(kubeconfig: cluster.kubeconfigPath, environment: [:])
        kube.qps = 0
        let client = try KubeClient(configuration: kube)
        let result = try await body(cluster, client)
        await cluster.stop()
        try? FileManager.default.removeItem(atPath: cluster.dataDirectory)
        return result
    } catch {
        await cluster.stop()
        try? FileManager.default.removeItem(atPath: cluster.dataDirectory)
        throw error
    }
}

public func podManifest(_ name: String, command: [String] = ["sleep", "30"], labels: [String: String] = [:]) -> JSONValue {
    [
        "metadata": ["name": .string(name), "labels": .object(labels.mapValues { .string($0) })],
        "spec": [
            "restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
            "containers": [["name": "main", "image": "busybox:1.36", "command": .array(command.map { .string($0) })]],
        ],
    ]
}

/// Polls `check` until it returns a value or `timeout` passes.
public func eventually<T>(timeout: Duration = .seconds(5), _ check: () async throws -> T?) async throws -> T? {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if let value = try await check() { return value }
        try await Task.sleep(for: .milliseconds(50))
    }
    return nil
}

public func expectKubeError(_ kind: KubeErrorKind, _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        try await body()
        Issue.record("expected a \(kind) error", sourceLocation: sourceLocation)
    } catch let error as KubeError {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}
