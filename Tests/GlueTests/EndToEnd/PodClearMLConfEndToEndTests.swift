import Foundation
import Glue
import JSONValue
import KubeAPI
import Testing

/// `--pod-clearml-conf FILE` (issue 14, item 2). Upstream put the file into the pod's args as base64
/// (clearml-agent `glue/k8s.py` `_create_template_container`: `echo '<b64>' | base64 --decode >> ~/clearml.conf`),
/// readable by anyone who can read pods. Here the task container reads it from a Secret the glue creates for
/// the pod and the pod owns, mounted read-only and named by CLEARML_CONFIG_FILE; the garbage collector
/// deletes the Secret with the pod.
@Suite(.serialized, .timeLimit(.minutes(4))) struct PodClearMLConfEndToEndTests {
    static let marker = "pod-conf-marker-5e1c"

    @Test func theTaskReadsTheConfFromASecretItsPodOwnsAndNothingElseCarriesIt() async throws {
        try await GlueHarness.with { h in
            _ = try await h.ensureQueue("conf")
            var configuration = try await h.agentConfiguration(queues: ["conf"])
            let conf = "# \(Self.marker)\nsdk.development.worker.log_stdout: true\n"
            configuration.render.podClearMLConf = conf
            let script = "import os\npath = os.environ['CLEARML_CONFIG_FILE']\nprint('pod conf says:', open(path).read().splitlines()[0])\n"
            let task = try await h.enqueueScriptTask("reads its conf", queue: "conf", script: script)
            try await h.running(configuration) { _, _ in
                let pod = try await h.eventually("the pod") { try await h.pod(for: task) }
                let view = PodView(pod)
                #expect(!pod.encodedString().contains(Self.marker), "the conf's content is in the pod")
                let env = pod[path: "spec", "containers"]?.arrayValue?.first?["env"]?.arrayValue ?? []
                #expect(env.contains { $0["name"] == "CLEARML_CONFIG_FILE" && $0["value"] == .string(PodRenderSettings.podClearMLConfPath) }, "\(env)")
                let volume = pod[path: "spec", "volumes"]?.arrayValue?.first { $0["name"] == .string(PodRenderSettings.podClearMLConfVolume) }
                #expect(volume?[path: "secret", "secretName"] == .string("\(view.name)-conf"))
                #expect(volume?[path: "secret", "optional"] == false)
                let mount = pod[path: "spec", "containers"]?.arrayValue?.first?["volumeMounts"]?.arrayValue?.first { $0["name"] == .string(PodRenderSettings.podClearMLConfVolume) }
                #expect(mount?["readOnly"] == true, "\(String(describing: mount))")

                let secret = try await h.eventually("the conf Secret") { () -> JSONValue? in
                    try? await h.kube.get(.secrets, namespace: view.namespace, name: "\(view.name)-conf")
                }
                let owners = secret[path: "metadata", "ownerReferences"]?.arrayValue ?? []
                #expect(owners.count == 1)
                #expect(owners.first?["kind"] == "Pod" && owners.first?["apiVersion"] == "v1")
                #expect(owners.first?["name"] == .string(view.name) && owners.first?["uid"] == .string(view.uid ?? "-"), "\(owners)")
                let stored = secret[path: "data", PodRenderSettings.podClearMLConfKey]?.stringValue.flatMap { Data(base64Encoded: $0) }
                #expect(stored.map { String(decoding: $0, as: UTF8.self) } == conf)

                _ = try await h.eventually("the task completed", timeout: .seconds(120)) { () -> Bool? in
                    let status = try await h.task(task)["status"]?.stringValue
                    if status == "failed" || status == "stopped" { Issue.record("the task ended \(status ?? "")"); return true }
                    return status == "completed" ? true : nil
                }
                let log = try await h.session.taskLog(task: task).events.compactMap { $0["msg"]?.stringValue }.joined(separator: "\n")
                #expect(log.contains("pod conf says: # \(Self.marker)"), "the task did not read the conf: \(log.suffix(2000))")

                _ = try await h.eventually("its pod deleted", timeout: .seconds(60)) { try await h.pod(for: task) == nil ? true : nil }
                // The garbage collector's resync (10 s) finds the Secret's only owner gone.
                _ = try await h.eventually("the Secret deleted with its pod", timeout: .seconds(40)) { () -> Bool? in
                    (try? await h.kube.get(.secrets, namespace: view.namespace, name: "\(view.name)-conf")) == nil ? true : nil
                }
            }
        }
    }
}
