import JSONValue
import Foundation
import KubeAPI

/// Runs one bound pod as local processes, writing its status the way the kubelet does: init containers
/// in order and to completion, then app containers side by side, honouring `restartPolicy`.
actor PodWorker {
    let namespace: String
    let name: String
    let sandbox: PodSandbox
    private let store: ObjectStore
    let events: EventRecorder
    private let failImagePattern: String?
    private let imageRoots: ImageRootTable
    private var processes: [String: LaunchedProcess] = [:]
    private var terminating = false
    private var started: Set<String> = []
    private var runTask: Task<Void, Never>?
    private let onFinish: @Sendable () async -> Void

    init(pod: JSONValue, dataDirectory: String, store: ObjectStore, events: EventRecorder, failImagePattern: String?,
         imageRoots: ImageRootTable = .empty, onFinish: @escaping @Sendable () async -> Void) {
        namespace = pod[path: "metadata", "namespace"]?.stringValue ?? "default"
        name = pod[path: "metadata", "name"]?.stringValue ?? ""
        sandbox = PodSandbox(dataDirectory: dataDirectory, namespace: namespace, name: name, uid: pod[path: "metadata", "uid"]?.stringValue ?? "")
        self.store = store
        self.events = events
        self.failImagePattern = failImagePattern
        self.imageRoots = imageRoots
        self.onFinish = onFinish
    }

    func start(_ pod: JSONValue) {
        runTask = Task { await self.run(pod) }
    }

    func update(_ change: @escaping @Sendable (inout JSONValue) -> Void) async -> JSONValue? {
        try? await store.mutate(.pods, namespace: namespace, name: name) { pod in
            var pod = pod
            change(&pod)
            return pod
        }
    }

    private func run(_ pod: JSONValue) async {
        defer { Task { await onFinish() } }
        var waitingFor: String?
        while true {
            do {
                try await sandbox.prepare(pod: pod, store: store)
                break
            } catch let missing as PodSandbox.MissingVolumeSource {
                // As a kubelet: ContainerCreating with a FailedMount event until the object appears.
                if waitingFor != missing.message {
                    if waitingFor == nil { _ = await update { PodStatus.initial(&$0, podIP: "127.0.0.1") } }
                    await events.record(pod, type: "Warning", reason: "FailedMount", message: missing.message)
                    waitingFor = missing.message
                }
                guard !terminating, !Task.isCancelled else { return }
                try? await Task.sleep(for: .milliseconds(200))
            } catch {
                await events.record(pod, type: "Warning", reason: "FailedMount", message: "sandbox: \(error)")
                break
            }
        }
        let current = await update { PodStatus.initial(&$0, podIP: "127.0.0.1") } ?? pod
        let inits = current[path: "spec", "initContainers"]?.arrayValue ?? []
        let apps = current[path: "spec", "containers"]?.arrayValue ?? []
        if await blockedOnImages(current, inits + apps) { return }
        let policy = current[path: "spec", "restartPolicy"]?.stringValue ?? "Always"

        for container in inits {
            let cname = container["name"]?.stringValue ?? ""
            var restarts = 0
            while true {
                guard !terminating else { return }
                let code = await runContainer(container, pod: current, initContainer: true, restarts: restarts)
                if code == 0 { break }
                if terminating { return }
                if policy == "Never" || code < 0 {
                    _ = await update { pod in
                        pod[path: "status", "phase"] = "Failed"
                        PodStatus.setCondition(&pod, "Initialized", false, reason: "PodFailed")
                        PodStatus.setCondition(&pod, "Ready", false, reason: "PodFailed")
                        PodStatus.setCondition(&pod, "ContainersReady", false, reason: "PodFailed")
                        for app in apps {
                            PodStatus.setContainer(&pod, initContainer: false, name: app["name"]?.stringValue ?? "",
                                                   state: PodStatus.waiting("PodInitializing"), ready: false)
                        }
                    }
                    return
                }
                restarts += 1
                await backOff(cname, initContainer: true, restarts: restarts, pod: current)
            }
        }
        if !inits.isEmpty {
            _ = await update { PodStatus.setCondition(&$0, "Initialized", true) }
        }
        let codes = await withTaskGroup(of: Int32.self) { group in
            for container in apps {
                group.addTask { await self.superviseApp(container, pod: current, policy: policy) }
            }
            var codes: [Int32] = []
            for await code in group { codes.append(code) }
            return codes
        }
        guard !terminating else { return }
        _ = await update { pod in
            let ok = codes.allSatisfy { $0 == 0 }
            pod[path: "status", "phase"] = .string(ok ? "Succeeded" : "Failed")
            PodStatus.setCondition(&pod, "Ready", false, reason: "PodCompleted")
            PodStatus.setCondition(&pod, "ContainersReady", false, reason: "PodCompleted")
            PodStatus.setCondition(&pod, "PodReadyToStartContainers", false)
        }
    }

    /// Keeps one app container going as `restartPolicy` says; returns its last exit code.
    private func superviseApp(_ container: JSONValue, pod: JSONValue, policy: String) async -> Int32 {
        let cname = container["name"]?.stringValue ?? ""
        var restarts = 0
        while true {
            let code = await runContainer(container, pod: pod, initContainer: false, restarts: restarts)
            if terminating || code < 0 { return code < 0 ? 1 : code }
            let again = policy == "Always" || (policy == "OnFailure" && code != 0)
            if !again { return code }
            restarts += 1
            await backOff(cname, initContainer: false, restarts: restarts, pod: pod)
            if terminating { return code }
        }
    }

    private func backOff(_ cname: String, initContainer: Bool, restarts: Int, pod: JSONValue) async {
        let delay = min(10.0, 0.5 * pow(2.0, Double(restarts - 1)))
        let podName = name, podNamespace = namespace
        _ = await update { p in
            let previous = (p[path: "status", initContainer ? "initContainerStatuses" : "containerStatuses"]?.arrayValue ?? [])
                .first { $0["name"]?.stringValue == cname }?["state"]
            PodStatus.setContainer(
                &p, initContainer: initContainer, name: cname,
                state: PodStatus.waiting("CrashLoopBackOff", "back-off \(Int(delay.rounded(.up)))s restarting failed container=\(cname) pod=\(podName)_\(podNamespace)"),
                ready: false, restartCount: restarts, lastState: previous)
        }
        await events.record(pod, type: "Warning", reason: "BackOff", message: "Back-off restarting failed container \(cname) in pod \(name)_\(namespace)",
                            fieldPath: "spec.containers{\(cname)}")
        try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
    }

    func isRunning(_ container: String) -> Bool { processes[container] != nil }
    var failImagePatternValue: String? { failImagePattern }
    var imageRootsValue: ImageRootTable { imageRoots }
    var storeValue: ObjectStore { store }
    var isTerminating: Bool { terminating }
    var currentProcesses: [String: LaunchedProcess] { processes }
    func register(_ container: String, _ process: LaunchedProcess) {
        processes[container] = process
        // A delete that raced the start: the new process must not outlive it.
        if terminating { process.signalGroup(SIGTERM) }
    }
    func unregister(_ container: String) { processes.removeValue(forKey: container) }
    func markTerminating() { terminating = true }
    func awaitRun() async { await runTask?.value }
}
