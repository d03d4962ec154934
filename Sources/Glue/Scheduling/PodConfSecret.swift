import Foundation
import JSONValue
import KubeAPI

/// `--pod-clearml-conf`: the Secret a task pod mounts its clearml.conf from. Upstream put the file in the
/// pod's args as base64 (clearml-agent `glue/k8s.py`, `_create_template_container`), readable by anyone
/// who can read pods; here it is a Secret owned by the pod (or Job), so the garbage collector deletes it with
/// its owner. The pod is created first (the Secret needs its uid); until the Secret exists the kubelet holds
/// the container in ContainerCreating, as the volume is not optional.
enum PodConfSecret {
    enum Failure: Error {
        /// RBAC denies `create secrets`: the optional Role (deploy/optional/pod-clearml-conf.yaml) is missing.
        case forbidden(String)
        case failed(String)
    }

    static func manifest(for rendered: RenderedPod, owner: (apiVersion: String, kind: String, name: String, uid: String), content: String) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": [
                "name": .string(PodRenderSettings.podClearMLConfSecretName(pod: rendered.name)),
                "namespace": .string(rendered.namespace),
                "labels": rendered.manifest[path: "metadata", "labels"] ?? [:],
                "ownerReferences": [[
                    "apiVersion": .string(owner.apiVersion), "kind": .string(owner.kind),
                    "name": .string(owner.name), "uid": .string(owner.uid), "controller": false,
                ]],
            ],
            "data": [PodRenderSettings.podClearMLConfKey: .string(Data(content.utf8).base64EncodedString())],
        ]
    }

    /// Creates the Secret for `owner` (the created pod or Job); one that already exists (created before a
    /// restart) is kept. The content never reaches a log or an error message.
    static func create(for rendered: RenderedPod, owner: JSONValue, content: String, kube: KubeClient) async throws(Failure) {
        guard let uid = owner[path: "metadata", "uid"]?.stringValue else {
            throw .failed("the created \(rendered.manifest["kind"]?.stringValue ?? "pod") has no uid to own its clearml.conf Secret")
        }
        let reference = (apiVersion: rendered.manifest["apiVersion"]?.stringValue ?? "v1", kind: rendered.manifest["kind"]?.stringValue ?? "Pod",
                         name: rendered.name, uid: uid)
        var attempt = 0
        while true {
            attempt += 1
            do {
                _ = try await kube.create(.secrets, namespace: rendered.namespace, manifest(for: rendered, owner: reference, content: content),
                                          options: WriteOptions(fieldValidation: .strict))
                return
            } catch let error as KubeError where error.kind == .alreadyExists {
                return
            } catch let error as KubeError where error.kind == .forbidden && KubeAccess.isRBACDenial(error) {
                throw .forbidden("RBAC denies creating the --pod-clearml-conf Secret: grant \(KubeAccess.missingRule(verb: "create", resource: .secrets, namespace: rendered.namespace)) to the glue's service account (deploy/optional/pod-clearml-conf.yaml, or the chart's podClearMLConf.enabled)")
            } catch {
                if attempt < 4, !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200 * (1 << attempt)))
                    continue
                }
                throw .failed("could not create the --pod-clearml-conf Secret: \(TaskLauncher.brief(error))")
            }
        }
    }
}
