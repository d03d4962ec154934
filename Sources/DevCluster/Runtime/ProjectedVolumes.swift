import Foundation
import JSONValue
import KubeAPI

/// The kubelet's `projected` volumes (k8s pkg/volume/projected): one folder per volume in the pod's sandbox,
/// with a file per source item: a ServiceAccount token (bound to the pod, so it stops working when the pod
/// goes), ConfigMap and Secret keys, and downward-API fields; files get the volume's `defaultMode`
/// (0644 by default). Written before the pod's first container starts; a source that cannot be read is
/// reported as the kubelet does (`FailedMount`), the rest is still written.
enum ProjectedVolumes {
    /// Issues a token for (namespace, ServiceAccount name) bound to the pod; nil when the account is missing.
    typealias TokenIssuer = @Sendable (_ namespace: String, _ serviceAccount: String, _ pod: JSONValue) async -> String?

    /// Returns the FailedMount message, or nil when every source was written.
    static func materialize(pod: JSONValue, sandbox: PodSandbox, store: ObjectStore, issueToken: TokenIssuer?) async -> String? {
        let namespace = pod[path: "metadata", "namespace"]?.stringValue ?? "default"
        var problems: [String] = []
        for volume in pod[path: "spec", "volumes"]?.arrayValue ?? [] {
            guard let name = volume["name"]?.stringValue, let projected = volume["projected"] else { continue }
            let folder = sandbox.volumePath(name)
            let mode = Int(projected["defaultMode"]?.intValue ?? 0o644)
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            } catch {
                problems.append("MountVolume.SetUp failed for volume \"\(name)\": \(error)")
                continue
            }
            for source in projected["sources"]?.arrayValue ?? [] {
                var files: [(path: String, content: String, mode: Int?)] = []
                if let token = source["serviceAccountToken"] {
                    let account = pod[path: "spec", "serviceAccountName"]?.stringValue ?? "default"
                    if let issued = await issueToken?(namespace, account, pod) {
                        files.append((token["path"]?.stringValue ?? "token", issued, nil))
                    } else {
                        problems.append("MountVolume.SetUp failed for volume \"\(name)\": failed to fetch token: serviceaccounts \"\(account)\" not found")
                    }
                }
                for (key, resource) in [("configMap", ResourceType.configMaps), ("secret", .secrets)] {
                    guard let reference = source[key] else { continue }
                    do {
                        let data = try await readWithRetry(resource, reference, namespace: namespace, store: store)
                        if let items = reference["items"]?.arrayValue {
                            for item in items {
                                guard let itemKey = item["key"]?.stringValue, let value = data[itemKey] else { continue }
                                files.append((item["path"]?.stringValue ?? itemKey, value, item["mode"]?.intValue.map(Int.init)))
                            }
                        } else {
                            files += data.map { ($0.key, $0.value, nil) }
                        }
                    } catch {
                        problems.append("MountVolume.SetUp failed for volume \"\(name)\": \(error.message)")
                    }
                }
                for item in source[path: "downwardAPI", "items"]?.arrayValue ?? [] {
                    guard let path = item["path"]?.stringValue, let field = item[path: "fieldRef", "fieldPath"]?.stringValue else { continue }
                    files.append((path, ContainerPlan.fieldValue(field, pod: pod), item["mode"]?.intValue.map(Int.init)))
                }
                for file in files {
                    let target = folder + "/" + file.path
                    try? FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                             withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
                    FileManager.default.createFile(atPath: target, contents: Data(file.content.utf8), attributes: [.posixPermissions: file.mode ?? mode])
                }
            }
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    /// A namespace's `kube-root-ca.crt` appears a moment after the first pod that needs it (its publisher is a
    /// controller), so that ConfigMap gets a few tries (up to 2 s), as the kubelet retries a mount; any other
    /// missing source fails at once.
    private static func readWithRetry(_ resource: ResourceType, _ reference: JSONValue, namespace: String, store: ObjectStore) async throws(ContainerPlan.ConfigError) -> [String: String] {
        var attempt = 0
        while true {
            do {
                var ref: JSONValue = ["name": reference["name"] ?? reference["secretName"] ?? ""]
                ref["optional"] = reference["optional"]
                return try await ContainerPlan.lookup(resource, ref, namespace: namespace, store: store, key: nil)
            } catch {
                attempt += 1
                if attempt >= 20 || reference["name"]?.stringValue != RootCAPublisher.configMapName { throw error }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
