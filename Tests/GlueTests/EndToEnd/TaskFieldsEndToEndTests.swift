import Foundation
import JSONValue
import KubeAPI
import Testing

/// Issue #16's two examples through the running controller: what the SDK's
/// `Task.create(docker="python:3.11-slim; rm -rf /", docker_args="-e CLEARML_API_SECRET_KEY=other ...")` stores.
@Suite(.serialized, .timeLimit(.minutes(3))) struct TaskFieldsEndToEndTests {
    /// The SDK splits `docker` at the first blank: image `python:3.11-slim;`, arguments `rm -rf /`. That is no image
    /// reference (distribution/reference grammar), so the task fails at once, naming it, and no pod is created.
    @Test func anInvalidImageReferenceFailsTheTaskAndCreatesNoPod() async throws {
        try await GlueHarness.with { h in
            _ = try await h.ensureQueue("cpu")
            try await h.running(h.configuration(queues: ["cpu"])) { _, _ in
                let bad = try await h.enqueueTask("semicolon", queue: "cpu", container: ["image": "python:3.11-slim;", "arguments": "rm -rf /"])
                let good = try await h.enqueueTask("good", queue: "cpu", container: ["image": "python:3.11-slim"])
                let failed = try await h.eventually("the task failed") { () -> JSONValue? in
                    let document = try await h.task(bad)
                    return document["status"]?.stringValue == "failed" ? Optional.some(document) : Optional.none
                }
                let reason = failed["status_reason"]?.stringValue ?? ""
                #expect(reason.hasPrefix("K8S glue error: invalid image reference \"python:3.11-slim;\""), "\(reason)")
                _ = try await h.eventually("the good task's pod") { () -> JSONValue? in try await h.pod(for: good) }
                #expect(try await h.pod(for: bad) == nil)
            }
        }
    }

    /// A task's `-e CLEARML_API_SECRET_KEY=other` must not merge into the glue's own entry: an entry with both
    /// `value` and `valueFrom` is refused by kube-apiserver (422, k/k pkg/apis/core/validation validateEnvVarValueFrom:
    /// "may not be specified when `value` is not empty"). The credential keeps its secretKeyRef; other variables pass.
    @Test func aTaskCannotOverrideTheGluesCredentialsAndItsOtherVariablesPass() async throws {
        try await GlueHarness.with { h in
            _ = try await h.ensureQueue("cpu")
            // Pods read the credentials from a Secret (secretKeyRef), as in every deployment.
            try await h.running(try await h.agentConfiguration(queues: ["cpu"])) { _, _ in
                let task = try await h.enqueueTask("env", queue: "cpu", container: [
                    "image": "python:3.11-slim", "arguments": "-e CLEARML_API_SECRET_KEY=tasks-own-secret-7f3 -e MY_SETTING=one -e MY_SETTING=two",
                ])
                let pod = try await h.eventually("the pod") { () -> JSONValue? in try await h.pod(for: task) }
                let containers = pod[path: "spec", "containers"]?.arrayValue ?? []
                let env = containers.first?["env"]?.arrayValue ?? []
                let secret = env.filter { $0["name"]?.stringValue == "CLEARML_API_SECRET_KEY" }
                #expect(secret.count == 1)
                #expect(secret.first?["value"] == nil, "the task's value reached the glue's credential entry: \(secret)")
                #expect(secret.first?[path: "valueFrom", "secretKeyRef", "name"]?.stringValue != nil)
                let setting = env.filter { $0["name"]?.stringValue == "MY_SETTING" }
                #expect(setting.count == 1 && setting.first?["value"]?.stringValue == "two", "docker keeps the last: \(setting)")
                #expect(!(pod.encodedString().contains("tasks-own-secret-7f3")), "the task's secret value appears in the pod")
            }
        }
    }
}
