import ClearMLAPI
import DevCluster
import DevClusterTesting
import DevServer
import Foundation
import Glue
import GlueTestSupport
import HTTPClient
import JSONValue
import KubeAPI
import Logging
import Testing

/// The embedded ClearML server and cluster on random loopback ports, a session and a Kubernetes client
/// on them, and a glue controller run in-process against both. The glue runs as the ServiceAccount of
/// deploy/rbac.yaml with a token from the TokenRequest API (`glue`), under the shipped Role and the
/// optional Roles its features need (ShippedRBAC), never as admin; `kube` is the test's admin client.
struct GlueHarness {
    let server: DevServer
    let cluster: DevCluster
    let kube: KubeClient
    let session: ClearMLSession
    /// The glue's identity: `system:serviceaccount:clearml:clearml-glue`, its kubeconfig and client.
    let glue: ServiceAccountIdentity
    let granted = GrantedParts()

    var glueKube: KubeClient { glue.client }

    /// Records an issue when the cluster denied the glue any call (a rule the shipped RBAC lacks), unless
    /// `allowingDenials` (a test that takes rights away on purpose).
    static func with(
        cluster configure: (inout DevClusterConfiguration) -> Void = { _ in },
        allowingDenials: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (GlueHarness) async throws -> Void
    ) async throws {
        let server = try await DevServer.start(DevServerConfiguration())
        do {
            try await withCluster(configure) { cluster, kube in
                try await createIfAbsent(kube, .namespaces, namespace: nil, ["metadata": ["name": "clearml"]])
                try await createObjects(try ShippedRBAC.documents(.base), admin: kube)
                let glue = try await serviceAccountIdentity(cluster, admin: kube, namespace: ShippedRBAC.namespace, name: ShippedRBAC.serviceAccount)
                let session = try ClearMLSession(configuration: ClearMLSessionConfiguration(
                    apiServer: server.baseURL, credentials: .keys(accessKey: server.accessKey, secretKey: server.secretKey),
                    http: HTTPClientConfiguration(proxy: .none), retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(50)), worker: "test-client"))
                let harness = GlueHarness(server: server, cluster: cluster, kube: kube, session: session, glue: glue)
                _ = harness.granted.insert(.base)
                try await body(harness)
                let denied = cluster.accessLog(user: glue.username).keys.filter { !$0.allowed }
                if !allowingDenials, !denied.isEmpty {
                    Issue.record("the glue was denied calls under the shipped RBAC (deploy/): \(denied.map(\.description).sorted())",
                                 sourceLocation: sourceLocation)
                }
            }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// A configuration whose pods run `command` as the task container (image entrypoint mode: no agent).
    func configuration(queues: [String], command: [String] = ["sleep", "60"]) -> GlueConfiguration {
        var render = PodRenderSettings(workerID: "glue-e2e", agentMode: .imageEntrypoint, defaultImage: "python:3.11-slim",
                                       apiServer: server.baseURL, webServer: server.baseURL, filesServer: server.baseURL)
        render.namespace = "clearml"
        var configuration = GlueConfiguration(workerID: "glue-e2e", queues: queues.map { ServedQueue(name: $0) }, render: render, namespaces: ["clearml"])
        configuration.baseTemplate = [
            "spec": ["terminationGracePeriodSeconds": 1,
                     "containers": [["name": "clearml-task", "command": .array(command.map(JSONValue.string))]]],
        ]
        configuration.createQueues = true
        configuration.metricsAddress = ("127.0.0.1", 0)
        configuration.reconcileInterval = .milliseconds(300)
        configuration.taskStatusInterval = .milliseconds(200)
        return configuration
    }

    /// A configuration whose pods run the real agent: the init container copies the built clearml-glue
    /// binary into the pod, which runs `execute --require-queue` on its task with credentials read from a
    /// Secret. Python environments are not installed (the tasks need only python3).
    func agentConfiguration(queues: [String]) async throws -> GlueConfiguration {
        let secret: JSONValue = [
            "metadata": ["name": "clearml-credentials", "namespace": "clearml"],
            "stringData": ["CLEARML_API_ACCESS_KEY": .string(server.accessKey), "CLEARML_API_SECRET_KEY": .string(server.secretKey)],
        ]
        try await createIfAbsent(kube, .secrets, namespace: "clearml", secret)
        var configuration = configuration(queues: queues)
        configuration.render.agentMode = .injected(image: "clearml-glue:dev")
        configuration.render.injectedAgentPath = try GlueBinary.path()
        configuration.render.credentialsSecret = "clearml-credentials"
        configuration.render.extraEnvironment = [(name: "CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL", value: "1")]
        configuration.baseTemplate = ["spec": ["terminationGracePeriodSeconds": 2]]
        return configuration
    }

    /// A task whose script is carried in its diff (no repository), printing `line`.
    func enqueueScriptTask(_ name: String, queue: String, script: String) async throws -> String {
        let task = try await session.createTask([
            "name": .string(name), "type": "training",
            "script": ["entry_point": "main.py", "binary": "python3", "diff": .string(script)],
        ])
        _ = try await session.enqueue(task: task, queue: try #require(try await session.resolveQueue(queue)).id)
        return task
    }

    /// Starts a controller; `body` runs while it serves, then it is stopped.
    func running(_ configuration: GlueConfiguration, _ body: (GlueController, Int) async throws -> Void) async throws {
        let logger = Logger(label: "glue-e2e")
        let metrics = GlueMetrics()
        var sessionConfiguration = ClearMLSessionConfiguration(
            apiServer: server.baseURL, credentials: .keys(accessKey: server.accessKey, secretKey: server.secretKey),
            http: HTTPClientConfiguration(proxy: .none), worker: configuration.workerID)
        sessionConfiguration.callObserver = metrics.clearMLObserver
        let glueSession = try ClearMLSession(configuration: sessionConfiguration)
        try await grant(for: configuration)
        let controller = try await GlueController.prepare(configuration: configuration, session: glueSession, kube: glueKube, metrics: metrics, logger: logger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let run = Task {
            defer { continuation.finish() }
            try await controller.run(signals: [], onMetricsListening: { continuation.yield($0) })
        }
        // A controller that fails or hangs before it listens ends the wait (no test hangs on it).
        let watchdog = Task {
            try await Task.sleep(for: .seconds(60))
            continuation.finish()
        }
        var iterator = ports.makeAsyncIterator()
        let listening = await iterator.next()
        watchdog.cancel()
        guard let port = listening else {
            run.cancel()
            throw HarnessFailure("the controller did not start serving within 60 s: \(await run.result)")
        }
        let outcome: Result<Void, any Error>
        do {
            try await body(controller, port)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        run.cancel()
        // A controller that crashed while the test ran is a failure of the test, whatever the test saw.
        if case .failure(let error) = await run.result, !(error is CancellationError) {
            Issue.record("the glue controller failed: \(error)")
        }
        try outcome.get()
    }

    func enqueueTask(_ name: String, queue: String, container: JSONValue? = nil) async throws -> String {
        var fields: JSONValue = ["name": .string(name), "type": "training", "script": ["entry_point": "main.py"]]
        if let container { fields["container"] = container }
        let task = try await session.createTask(fields)
        let queueID = try #require(try await session.resolveQueue(queue)).id
        _ = try await session.enqueue(task: task, queue: queueID)
        return task
    }

    func ensureQueue(_ name: String) async throws -> String {
        if let queue = try await session.resolveQueue(name) { return queue.id }
        return try await session.createQueue(name: name)
    }

    func pod(for task: String) async throws -> JSONValue? {
        try await kube.list(.pods, namespace: "clearml", options: ListOptions(labelSelector: "clearml-task-id=\(task)")).items.first
    }

    func task(_ id: String, _ fields: [String] = ["id", "status", "status_reason", "status_message", "execution.queue"]) async throws -> JSONValue {
        try #require(try await session.taskFields(id: id, fields)).document
    }

    /// Polls until `check` gives a value (no fixed sleeps: the machine may be loaded).
    func eventually<T>(_ what: String, timeout: Duration = .seconds(20), _ check: () async throws -> T?) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let value = try await check() { return value }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting for \(what)")
        throw CancellationError()
    }
}

/// Creates `object` unless it exists already; any other error is thrown, not swallowed.
func createIfAbsent(_ kube: KubeClient, _ resource: ResourceType, namespace: String?, _ object: JSONValue) async throws {
    do {
        _ = try await kube.create(resource, namespace: namespace, object)
    } catch let error as KubeError where error.kind == .alreadyExists {}
}

struct HarnessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
