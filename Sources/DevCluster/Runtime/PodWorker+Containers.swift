import JSONValue
import Foundation
import KubeAPI

extension PodWorker {
    /// Images are recorded, not pulled; only those matching `--fail-image-pattern` fail, and then the
    /// pod stays Pending in ImagePullBackOff as on a real node.
    func blockedOnImages(_ pod: JSONValue, _ containers: [JSONValue]) async -> Bool {
        guard let pattern = failImagePatternValue, let regex = try? NSRegularExpression(pattern: pattern) else { return false }
        let failing = containers.filter { c in
            let image = c["image"]?.stringValue ?? ""
            // A reference the kubelet cannot parse is never pulled (InvalidImageName, at container start).
            guard ImageReference.invalidImageNameMessage(image) == nil else { return false }
            return regex.firstMatch(in: image, range: NSRange(image.startIndex..., in: image)) != nil
        }
        guard let first = failing.first else { return false }
        let image = first["image"]?.stringValue ?? ""
        let cname = first["name"]?.stringValue ?? ""
        let isInit = (pod[path: "spec", "initContainers"]?.arrayValue ?? []).contains { $0["name"] == first["name"] }
        let field = "spec.\(isInit ? "initContainers" : "containers"){\(cname)}"
        let pullMessage = "Failed to pull image \"\(image)\": rpc error: code = NotFound desc = failed to pull and unpack image \"\(image)\": not found"
        await events.record(pod, reason: "Pulling", message: "Pulling image \"\(image)\"", fieldPath: field)
        await events.record(pod, type: "Warning", reason: "Failed", message: pullMessage, fieldPath: field)
        await events.record(pod, type: "Warning", reason: "Failed", message: "Error: ErrImagePull", fieldPath: field)
        _ = await update { PodStatus.setContainer(&$0, initContainer: isInit, name: cname, state: PodStatus.waiting("ErrImagePull", pullMessage), ready: false) }
        try? await Task.sleep(for: .milliseconds(500))
        guard !isTerminating else { return true }
        await events.record(pod, reason: "BackOff", message: "Back-off pulling image \"\(image)\"", fieldPath: field)
        await events.record(pod, type: "Warning", reason: "Failed", message: "Error: ImagePullBackOff", fieldPath: field)
        _ = await update {
            PodStatus.setContainer(&$0, initContainer: isInit, name: cname,
                                   state: PodStatus.waiting("ImagePullBackOff", "Back-off pulling image \"\(image)\": ErrImagePull: \(pullMessage)"), ready: false)
        }
        return true
    }

    /// Runs one container to its end; -1 means it never started (its status says why) and the pod is
    /// being deleted: a container the kubelet cannot create waits, as on a node, until the pod goes.
    func runContainer(_ container: JSONValue, pod: JSONValue, initContainer: Bool, restarts: Int) async -> Int32 {
        let cname = container["name"]?.stringValue ?? ""
        let field = "spec.\(initContainer ? "initContainers" : "containers"){\(cname)}"
        let image = container["image"]?.stringValue ?? ""
        if let message = ImageReference.invalidImageNameMessage(image) {
            // image_manager.go EnsureImageExists: InspectFailed, then kuberuntime's `Error: InvalidImageName`;
            // nothing is pulled and the container never starts.
            await events.record(pod, type: "Warning", reason: "InspectFailed", message: message, fieldPath: field)
            await events.record(pod, type: "Warning", reason: "Failed", message: "Error: InvalidImageName", fieldPath: field)
            _ = await update { PodStatus.setContainer(&$0, initContainer: initContainer, name: cname, state: PodStatus.waiting("InvalidImageName", message), ready: false) }
            while !isTerminating { try? await Task.sleep(for: .milliseconds(100)) }
            return -1
        }
        var security = ContainerSecurity.effective(pod: pod, container: container)
        var imageRoot: ContainerPlan.ImageRootSetting?
        if let root = imageRootsValue.root(for: image) {
            // The image's passwd is known here: without runAsGroup, the user's group there, else 0 (containerd
            // `oci.WithUserID`).
            if security.runAsGroup == nil { security.runAsGroup = ImageRootLaunch.passwdEntry(uid: security.uid, root: root)?.gid }
            imageRoot = .init(root: root, layer: sandbox.layer(container: cname, restart: restarts), security: security)
        }
        sandbox.prepareContainer(cname, security: security)
        guard let plan = await createContainer(
            container, pod: pod, name: cname, field: field, initContainer: initContainer, security: security, imageRoot: imageRoot
        ) else {
            return -1
        }
        // The termination-log file is writable by any user (kuberuntime makeMounts chmods it 0666).
        chmod(plan.terminationMessageFile, 0o666)
        if security.readOnlyRootFilesystem, plan.rootfs == nil { sandbox.sealRootFilesystem(cname) }
        if restarts == 0 {
            await events.record(pod, reason: "Pulled", message: "Container image \"\(plan.image)\" already present on machine", fieldPath: field)
        }
        let process: LaunchedProcess
        let startedAt = Date()
        do {
            if let rootfs = plan.rootfs {
                try rootfs.prepare(podName: name)
                process = try ProcessLauncher.launch(
                    arguments: rootfs.arguments(command: plan.arguments, security: security, environment: plan.environment, host: imageRootsValue.host),
                    environment: plan.environment, workingDirectory: plan.workingDirectory,
                    logPath: sandbox.logPath(container: cname, restart: restarts))
            } else {
                process = try ProcessLauncher.launch(
                    arguments: plan.arguments, environment: plan.environment, workingDirectory: plan.workingDirectory,
                    logPath: sandbox.logPath(container: cname, restart: restarts), security: security)
            }
        } catch {
            let message = "failed to create containerd task: failed to create shim task: OCI runtime create failed: \(error)"
            await events.record(pod, type: "Warning", reason: "Failed", message: "Error: \(message)", fieldPath: field)
            _ = await update {
                PodStatus.setContainer(&$0, initContainer: initContainer, name: cname,
                                       state: PodStatus.terminated(exitCode: 128, reason: "StartError", startedAt: nil, finishedAt: Date(), message: message),
                                       ready: false, restartCount: restarts)
            }
            return 128
        }
        register(cname, process)
        await events.record(pod, reason: "Created", message: "Created container \(cname)", fieldPath: field)
        await events.record(pod, reason: "Started", message: "Started container \(cname)", fieldPath: field)
        _ = await update { p in
            PodStatus.setContainer(&p, initContainer: initContainer, name: cname, state: PodStatus.running(since: startedAt), ready: !initContainer, restartCount: restarts)
            if !initContainer { self.refreshReadiness(&p) }
        }
        let code = await process.waitForExit()
        unregister(cname)
        let finished = Date()
        let message = TerminationMessage.read(plan: plan, exitCode: code, logPath: sandbox.logPath(container: cname, restart: restarts))
        _ = await update { p in
            PodStatus.setContainer(
                &p, initContainer: initContainer, name: cname,
                state: PodStatus.terminated(exitCode: code, reason: code == 0 ? "Completed" : "Error", startedAt: startedAt, finishedAt: finished, message: message),
                ready: false)
            if !initContainer { self.refreshReadiness(&p) }
        }
        return code
    }

    /// The container's plan, or nil once the pod is being deleted. A configuration the kubelet refuses
    /// (a missing Secret or key, no command, `runAsNonRoot` with a root user: kuberuntime
    /// `generateContainerConfig` checks them in that order) leaves the container waiting with the reason,
    /// and is tried again every second, as the kubelet retries on each pod sync.
    private func createContainer(
        _ container: JSONValue, pod: JSONValue, name cname: String, field: String, initContainer: Bool, security: ContainerSecurity,
        imageRoot: ContainerPlan.ImageRootSetting?
    ) async -> ContainerPlan? {
        var reported: String?
        while !isTerminating {
            do throws(ContainerPlan.ConfigError) {
                let plan = try await ContainerPlan.make(container: container, pod: pod, sandbox: sandbox, store: storeValue, imageRoot: imageRoot)
                if let problem = security.runAsNonRootProblem(pod: pod, container: cname) {
                    throw ContainerPlan.ConfigError(reason: "CreateContainerConfigError", message: problem)
                }
                return plan
            } catch {
                if reported != error.message {
                    reported = error.message
                    await events.record(pod, type: "Warning", reason: "Failed", message: "Error: \(error.message)", fieldPath: field)
                    _ = await update { PodStatus.setContainer(&$0, initContainer: initContainer, name: cname, state: PodStatus.waiting(error.reason, error.message), ready: false) }
                }
                for _ in 0..<10 where !isTerminating { try? await Task.sleep(for: .milliseconds(100)) }
            }
        }
        return nil
    }

    /// Ready when every app container runs; phase Running once one does (init containers are done by then).
    nonisolated func refreshReadiness(_ pod: inout JSONValue) {
        let statuses = pod[path: "status", "containerStatuses"]?.arrayValue ?? []
        let running = statuses.filter { $0[path: "state", "running"] != nil }
        if !running.isEmpty, pod[path: "status", "phase"]?.stringValue == "Pending" { pod[path: "status", "phase"] = "Running" }
        if running.count == statuses.count, !statuses.isEmpty {
            PodStatus.setCondition(&pod, "ContainersReady", true)
            PodStatus.setCondition(&pod, "Ready", true)
        } else {
            let names = statuses.filter { $0[path: "state", "running"] == nil }.compactMap { $0["name"]?.stringValue }.joined(separator: " ")
            PodStatus.setCondition(&pod, "ContainersReady", false, reason: "ContainersNotReady", message: "containers with unready status: [\(names)]")
            PodStatus.setCondition(&pod, "Ready", false, reason: "ContainersNotReady", message: "containers with unready status: [\(names)]")
        }
    }

    /// SIGTERM to every container's process group, SIGKILL after the grace period; returns when the run ended.
    func terminate(gracePeriod: Duration) async {
        markTerminating()
        for (_, process) in currentProcesses { process.signalGroup(SIGTERM) }
        let deadline = ContinuousClock.now.advanced(by: gracePeriod)
        while !currentProcesses.isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for (_, process) in currentProcesses { process.signalGroup(SIGKILL) }
        await awaitRun()
    }

    /// Stop without waiting for anything: cluster shutdown.
    func kill() {
        markTerminating()
        for (_, process) in currentProcesses { process.signalGroup(SIGKILL) }
    }
}
