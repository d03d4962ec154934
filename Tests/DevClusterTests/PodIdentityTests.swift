import DevCluster
import DevClusterTesting
import Foundation
import JSONValue
import KubeAPI
import Testing

/// Containers run as a kubelet runs them: as their securityContext user, group and groups
/// (k/k `pkg/securitycontext DetermineEffectiveSecurityContext`; fsGroup and supplementalGroups as
/// supplementary groups in `kuberuntime determineEffectiveSecurityContext`), emptyDir root-owned 0777
/// (`pkg/volume/emptydir/empty_dir.go setupDir`), fsGroup group ownership with setgid
/// (`pkg/volume/volume_linux.go SetVolumeOwnership`), `runAsNonRoot` verified before the container is
/// created (`pkg/kubelet/kuberuntime/security_context_others.go verifyRunAsNonRoot`), containerd's default
/// capability set and `allowPrivilegeEscalation` as no_new_privs. Switching users needs root: those
/// tests run only when the test process is root (as in CI).
@Suite(.serialized, .timeLimit(.minutes(3))) struct PodIdentityTests {
    static let asRoot = getuid() == 0

    func finished(_ kube: KubeClient, _ name: String, timeout: Duration = .seconds(15)) async throws -> PodView {
        let pod = try await eventually(timeout: timeout) { () -> JSONValue? in
            let pod = try await kube.get(.pods, name: name)
            return ["Succeeded", "Failed"].contains(PodView(pod).phase) ? pod : Optional<JSONValue>.none
        }
        return PodView(try #require(pod, "pod \(name) did not finish"))
    }

    func log(_ kube: KubeClient, _ pod: String, _ container: String) async throws -> [String] {
        var lines: [String] = []
        for try await line in kube.podLog(name: pod, container: container) { lines.append(line) }
        return lines
    }

    func container(_ name: String, _ script: String, securityContext: JSONValue? = nil, mounts: JSONValue? = nil) -> JSONValue {
        var container: JSONValue = ["name": .string(name), "image": "busybox:1.36", "command": ["sh", "-c", .string(script)]]
        if let securityContext { container["securityContext"] = securityContext }
        if let mounts { container["volumeMounts"] = mounts }
        return container
    }

    func pod(_ name: String, securityContext: JSONValue? = nil, volumes: JSONValue = [], initContainers: [JSONValue] = [], containers: [JSONValue]) -> JSONValue {
        var spec: JSONValue = ["restartPolicy": "Never", "terminationGracePeriodSeconds": 1, "containers": .array(containers), "volumes": volumes]
        if let securityContext { spec["securityContext"] = securityContext }
        if !initContainers.isEmpty { spec["initContainers"] = .array(initContainers) }
        return ["metadata": ["name": .string(name)], "spec": spec]
    }

    @Test(.enabled(if: asRoot, "switching users needs root")) func containersRunAsTheirUserGroupAndGroups() async throws {
        try await withCluster { _, kube in
            let data: JSONValue = [["name": "data", "mountPath": "/data"]]
            _ = try await kube.create(.pods, pod(
                "identity", securityContext: ["runAsUser": 1000, "runAsGroup": 3000, "fsGroup": 2000, "supplementalGroups": [4000]],
                volumes: [["name": "data", "emptyDir": [:]]],
                containers: [
                    container("podlevel", "id -u; id -g; id -G; stat -c '%a %u %g' /data; touch /data/a && stat -c '%u %g' /data/a", mounts: data),
                    container("own", "id -u; id -g", securityContext: ["runAsUser": 2000]),
                ]))
            let view = try await finished(kube, "identity")
            #expect(view.phase == "Succeeded")
            #expect(try await log(kube, "identity", "podlevel") == ["1000", "3000", "3000 2000 4000", "2777 0 2000", "1000 2000"])
            // The container's own runAsUser overrides the pod's; runAsGroup still comes from the pod.
            #expect(try await log(kube, "identity", "own") == ["2000", "3000"])
        }
    }

    @Test(.enabled(if: asRoot, "switching users needs root")) func emptyDirIsRootOwned0777AndUnsetUserMeansRoot() async throws {
        try await withCluster { _, kube in
            let data: JSONValue = [["name": "data", "mountPath": "/data"]]
            _ = try await kube.create(.pods, pod(
                "emptydir", volumes: [["name": "data", "emptyDir": [:]]],
                containers: [
                    container("user", "stat -c '%a %u %g' /data; touch /data/x && echo wrote; id -u; id -G", securityContext: ["runAsUser": 1000], mounts: data),
                    container("image-user", "id -u; id -g", securityContext: ["runAsGroup": 5000]),
                ]))
            let view = try await finished(kube, "emptydir")
            #expect(view.phase == "Succeeded")
            #expect(try await log(kube, "emptydir", "user") == ["777 0 0", "wrote", "1000", "0"])
            #expect(try await log(kube, "emptydir", "image-user") == ["0", "5000"])
        }
    }

    /// The glue's injected-agent init container runs as uid 10001 and copies into a root-owned 0777
    /// emptyDir: `cp -a` must fail there (it cannot set the times of a folder it does not own), as on a
    /// node, and `cp -R` (what Sources/Glue/Rendering/AgentMode.swift uses) must work, leaving a binary the
    /// task container can run.
    @Test(.enabled(if: asRoot, "switching users needs root")) func aNonRootInstallerCannotCpDashAIntoAnEmptyDirButCanCpDashR() async throws {
        let source = NSTemporaryDirectory() + "devcluster-agent-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: source + "/bin", withIntermediateDirectories: true)
        try "#!/bin/sh\necho agent ran as $(id -u)\n".write(toFile: source + "/bin/clearml-glue", atomically: true, encoding: .utf8)
        for (path, mode) in [(source, 0o755), (source + "/bin", 0o755), (source + "/bin/clearml-glue", 0o755)] { chmod(path, mode_t(mode)) }
        defer { try? FileManager.default.removeItem(atPath: source) }
        // What AgentMode.installerSecurityContext sets.
        let installer: JSONValue = [
            "allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]], "runAsNonRoot": true, "runAsUser": 10001, "runAsGroup": 10001,
            "readOnlyRootFilesystem": true, "seccompProfile": ["type": "RuntimeDefault"],
        ]
        let agent: JSONValue = [["name": "clearml-agent", "mountPath": "/clearml-agent"]]
        func agentPod(_ name: String, copy: String) -> JSONValue {
            pod(name, volumes: [["name": "clearml-agent", "emptyDir": [:]]],
                initContainers: [container("clearml-agent-install", "\(copy) \(source)/. /clearml-agent/", securityContext: installer, mounts: agent)],
                containers: [container("clearml-task", "/clearml-agent/bin/clearml-glue", mounts: agent)])
        }
        try await withCluster { _, kube in
            _ = try await kube.create(.pods, agentPod("preserving", copy: "cp -a"))
            _ = try await kube.create(.pods, agentPod("recursive", copy: "cp -R"))
            let preserving = try await finished(kube, "preserving")
            #expect(preserving.phase == "Failed")
            if case .terminated(let code, _, _, _) = preserving.initContainerStatuses.first?.state { #expect(code != 0) } else {
                Issue.record("the installer should have ended")
            }
            let copyLog = try await log(kube, "preserving", "clearml-agent-install").joined(separator: "\n")
            #expect(copyLog.contains("preserving times"), "\(copyLog)")
            let recursive = try await finished(kube, "recursive")
            #expect(recursive.phase == "Succeeded")
            #expect(try await log(kube, "recursive", "clearml-task") == ["agent ran as 0"])
        }
    }

    @Test func runAsNonRootIsVerifiedBeforeTheContainerIsCreated() async throws {
        try await withCluster { _, kube in
            _ = try await kube.create(.pods, pod("implicit", containers: [container("main", "true", securityContext: ["runAsNonRoot": true])]))
            _ = try await kube.create(.pods, pod("explicit", securityContext: ["runAsNonRoot": true],
                                                 containers: [container("main", "true", securityContext: ["runAsUser": 0])]))
            for name in ["implicit", "explicit"] {
                let uid = try await kube.get(.pods, name: name)[path: "metadata", "uid"]?.stringValue ?? ""
                let expected = name == "implicit"
                    ? "container has runAsNonRoot and image will run as root (pod: \"implicit_default(\(uid))\", container: main)"
                    : "container's runAsUser breaks non-root policy (pod: \"explicit_default(\(uid))\", container: main)"
                let message = try await eventually { () -> String? in
                    guard case .waiting(let reason, let message) = PodView(try await kube.get(.pods, name: name)).containerStatuses.first?.state,
                          reason == "CreateContainerConfigError" else { return nil }
                    return message
                }
                #expect(message == expected)
                let events = try await kube.list(.events, namespace: "default", options: ListOptions(fieldSelector: "involvedObject.name=\(name)")).items
                #expect(events.contains { $0["reason"] == "Failed" && $0["message"] == .string("Error: \(expected)") })
            }
            // The kubelet keeps such a pod Pending and retries; it never fails it.
            try await Task.sleep(for: .milliseconds(1500))
            #expect(PodView(try await kube.get(.pods, name: "implicit")).phase == "Pending")
            // A configuration error that goes away (a Secret created later) lets the container start.
            _ = try await kube.create(.pods, pod("later", containers: [[
                "name": "main", "image": "busybox", "command": ["sh", "-c", "echo $TOKEN"],
                "env": [["name": "TOKEN", "valueFrom": ["secretKeyRef": ["name": "late", "key": "token"]]]],
            ]]))
            let missing = try await eventually { () -> String? in
                guard case .waiting(let reason, let message) = PodView(try await kube.get(.pods, name: "later")).containerStatuses.first?.state,
                      reason == "CreateContainerConfigError" else { return nil }
                return message
            }
            #expect(missing == "secret \"late\" not found")
            _ = try await kube.create(.secrets, ["metadata": ["name": "late"], "stringData": ["token": "s3cr3t"]])
            #expect(try await finished(kube, "later").phase == "Succeeded")
            #expect(try await log(kube, "later", "main") == ["s3cr3t"])
        }
    }

    @Test(.enabled(if: asRoot, "switching users needs root")) func readOnlyRootFilesystemKeepsHomeAndRootfsUnwritable() async throws {
        try await withCluster { _, kube in
            let probe = "touch $HOME/x 2>/dev/null && echo home-writable || echo home-readonly"
            _ = try await kube.create(.pods, pod(
                "readonly", securityContext: ["runAsUser": 1000], volumes: [["name": "scratch", "emptyDir": [:]]],
                containers: [
                    container("ro", probe + "; touch /scratch/x && echo scratch-writable", securityContext: ["readOnlyRootFilesystem": true],
                              mounts: [["name": "scratch", "mountPath": "/scratch"]]),
                    container("rw", probe),
                    container("root-ro", probe, securityContext: ["runAsUser": 0, "readOnlyRootFilesystem": true, "capabilities": ["drop": ["ALL"]]]),
                ]))
            #expect(try await finished(kube, "readonly").phase == "Succeeded")
            #expect(try await log(kube, "readonly", "ro") == ["home-readonly", "scratch-writable"])
            #expect(try await log(kube, "readonly", "rw") == ["home-writable"])
            #expect(try await log(kube, "readonly", "root-ro") == ["home-readonly"])
        }
    }

    @Test(.enabled(if: asRoot, "capability sets need root")) func capabilitiesAndNoNewPrivsAsContainerdSetsThem() async throws {
        try await withCluster { _, kube in
            let probe = "grep -E '^(CapBnd|NoNewPrivs)' /proc/self/status"
            _ = try await kube.create(.pods, pod("caps", containers: [
                container("default", probe),
                container("dropped", probe, securityContext: ["capabilities": ["drop": ["ALL"]], "allowPrivilegeEscalation": false]),
                container("bind", probe, securityContext: ["capabilities": ["drop": ["ALL"], "add": ["NET_BIND_SERVICE"]]]),
                container("nonroot", probe, securityContext: ["runAsUser": 1000, "allowPrivilegeEscalation": false]),
            ]))
            #expect(try await finished(kube, "caps").phase == "Succeeded")
            #expect(try await log(kube, "caps", "default") == ["CapBnd:\t00000000a80425fb", "NoNewPrivs:\t0"])
            #expect(try await log(kube, "caps", "dropped") == ["CapBnd:\t0000000000000000", "NoNewPrivs:\t1"])
            #expect(try await log(kube, "caps", "bind") == ["CapBnd:\t0000000000000400", "NoNewPrivs:\t0"])
            #expect(try await log(kube, "caps", "nonroot") == ["CapBnd:\t00000000a80425fb", "NoNewPrivs:\t1"])
        }
    }
}
