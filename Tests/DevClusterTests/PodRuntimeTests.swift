import DevClusterTesting
import JSONValue
import DevCluster
import Foundation
import KubeAPI
import Testing

@Suite(.timeLimit(.minutes(3))) struct PodRuntimeTests {
    func waitForPhase(_ kube: KubeClient, _ name: String, _ phases: Set<String>, timeout: Duration = .seconds(8)) async throws -> JSONValue? {
        try await eventually(timeout: timeout) {
            let pod = try await kube.get(.pods, name: name)
            // Spelled out: JSONValue is nil-literal-expressible, so a bare `nil` would be `.null`.
            return phases.contains(PodView(pod).phase) ? pod : Optional<JSONValue>.none
        }
    }

    @Test func initContainerSharesAFileThroughEmptyDirAndEnvIsResolved() async throws {
        try await withCluster { _, kube in
            _ = try await kube.create(.secrets, ["metadata": ["name": "creds"], "data": ["key": .string(Data("s3cr3t".utf8).base64EncodedString())]])
            _ = try await kube.create(.configMaps, ["metadata": ["name": "settings"], "data": ["mode": "fast"]])
            let pod: JSONValue = [
                "metadata": ["name": "shared"],
                "spec": [
                    "restartPolicy": "Never",
                    "volumes": [["name": "work", "emptyDir": [:]]],
                    "initContainers": [["name": "prep", "image": "busybox", "command": ["sh", "-c", "echo prepared > /work/file"],
                                        "volumeMounts": [["name": "work", "mountPath": "/work"]]]],
                    "containers": [[
                        "name": "main", "image": "busybox", "workingDir": "/work",
                        "command": ["sh", "-c", "cat file; echo $SECRET $MODE $ME $(GREETING); case $HOME in */home/main) echo home-ok;; esac"],
                        "env": [
                            ["name": "SECRET", "valueFrom": ["secretKeyRef": ["name": "creds", "key": "key"]]],
                            ["name": "MODE", "valueFrom": ["configMapKeyRef": ["name": "settings", "key": "mode"]]],
                            ["name": "ME", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]],
                            ["name": "GREETING", "value": "hi"],
                        ],
                        "volumeMounts": [["name": "work", "mountPath": "/work"]],
                    ]],
                ],
            ]
            _ = try await kube.create(.pods, pod)
            let done = try await waitForPhase(kube, "shared", ["Succeeded", "Failed"])
            let view = PodView(try #require(done))
            #expect(view.phase == "Succeeded")
            #expect(view.condition("Initialized")?.status == "True")
            #expect(view.condition("PodScheduled")?.status == "True")
            if case .terminated(let code, let reason, _, _) = view.containerStatuses.first?.state {
                #expect(code == 0 && reason == "Completed")
            } else {
                Issue.record("main should be terminated")
            }
            var lines: [String] = []
            for try await line in kube.podLog(name: "shared") { lines.append(line) }
            #expect(lines == ["prepared", "s3cr3t fast shared hi", "home-ok"])
        }
    }

    @Test func failureAndRestartPolicies() async throws {
        try await withCluster { _, kube in
            _ = try await kube.create(.pods, podManifest("fails", command: ["sh", "-c", "exit 3"]))
            let failed = try #require(try await waitForPhase(kube, "fails", ["Failed"]))
            if case .terminated(let code, let reason, _, _) = PodView(failed).containerStatuses.first?.state {
                #expect(code == 3 && reason == "Error")
            } else {
                Issue.record("expected terminated")
            }
            var retried = podManifest("retries", command: ["sh", "-c", "exit 1"])
            retried[path: "spec", "restartPolicy"] = "OnFailure"
            _ = try await kube.create(.pods, retried)
            let restarted = try await eventually {
                (PodView(try await kube.get(.pods, name: "retries")).containerStatuses.first?.restartCount ?? 0) >= 1 ? true : nil
            }
            #expect(restarted == true)
            _ = try await kube.create(.pods, podManifest("nocommand", command: []))
            let waiting = try await eventually { () -> String? in
                if case .waiting(let reason, _) = PodView(try await kube.get(.pods, name: "nocommand")).containerStatuses.first?.state,
                   reason == "CreateContainerError" { return reason }
                return nil
            }
            #expect(waiting == "CreateContainerError")
        }
    }

    @Test func unschedulableAndImagePullFailures() async throws {
        try await withCluster({ $0.gpus = 1; $0.failImagePattern = "^broken/" }) { _, kube in
            var gpu = podManifest("gpu")
            gpu[path: "spec", "containers"] = [["name": "main", "image": "cuda", "command": ["sleep", "5"], "resources": ["limits": ["nvidia.com/gpu": 2]]]]
            _ = try await kube.create(.pods, gpu)
            let message = try await eventually { PodView(try await kube.get(.pods, name: "gpu")).condition("PodScheduled")?.message }
            #expect(message == "0/1 nodes are available: 1 Insufficient nvidia.com/gpu.")
            let pending = PodView(try await kube.get(.pods, name: "gpu"))
            #expect(pending.phase == "Pending" && pending.condition("PodScheduled")?.reason == "Unschedulable")

            var broken = podManifest("pull")
            broken[path: "spec", "containers"] = [["name": "main", "image": "broken/image:1", "command": ["true"]]]
            _ = try await kube.create(.pods, broken)
            let reason = try await eventually { () -> String? in
                if case .waiting(let reason, _) = PodView(try await kube.get(.pods, name: "pull")).containerStatuses.first?.state,
                   reason == "ImagePullBackOff" { return reason }
                return nil
            }
            #expect(reason == "ImagePullBackOff")
            let events = try await kube.list(.events, namespace: "default", options: ListOptions(fieldSelector: "involvedObject.name=gpu"))
            #expect(events.items.contains { $0["reason"] == "FailedScheduling" })
        }
    }

    @Test func deleteTermsThenKillsAndStopLeavesNoOrphans() async throws {
        var pids: [Int32] = []
        try await withCluster { cluster, kube in
            // Ignores SIGTERM: must be killed after the 1 s grace period, children included.
            let stubborn = podManifest("stubborn", command: ["sh", "-c", "trap '' TERM; sleep 60 & echo $! > $HOME/child; echo $$ > $HOME/pid; wait"])
            _ = try await kube.create(.pods, stubborn)
            _ = try await kube.create(.pods, podManifest("leftover", command: ["sh", "-c", "echo $$ > $HOME/pid; sleep 60"]))
            let home = { (name: String) in
                (try? FileManager.default.contentsOfDirectory(atPath: cluster.dataDirectory + "/pods"))?
                    .first { $0.hasPrefix("default_\(name)_") }.map { cluster.dataDirectory + "/pods/" + $0 + "/home/main" }
            }
            func pid(_ name: String, _ file: String = "pid") async throws -> Int32? {
                try await eventually { home(name).flatMap { try? String(contentsOfFile: $0 + "/" + file, encoding: .utf8) }.flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } }
            }
            let shell = try #require(try await pid("stubborn"))
            let child = try #require(try await pid("stubborn", "child"))
            pids.append(try #require(try await pid("leftover")))
            let start = ContinuousClock.now
            let answer = try await kube.delete(.pods, name: "stubborn")
            #expect(PodView(answer).deletionTimestamp != nil)
            let gone = try await eventually { () -> Bool? in
                do { _ = try await kube.get(.pods, name: "stubborn"); return nil } catch let e as KubeError where e.kind == .notFound { return true }
            }
            #expect(gone == true)
            #expect(start.duration(to: .now) >= .milliseconds(900))
            #expect(!isAlive(shell) && !isAlive(child))
        }
        // Cluster stopped: the other pod's process must be gone too.
        #expect(pids.allSatisfy { !isAlive($0) })
    }

    /// Zombies count as dead: in a container PID 1 may never reap the reparented children.
    func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        let state = stat.split(separator: ")").last?.split(separator: " ").first
        return state != "Z" && state != "X"
    }
}
