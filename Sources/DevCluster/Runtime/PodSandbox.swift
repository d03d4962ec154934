import JSONValue
import Foundation
import KubeAPI

/// A pod's folder: `home/` (HOME of its containers), `volumes/<name>/`, `rootfs/` for absolute working
/// dirs, and `logs/<container>-<restart>.log`.
struct PodSandbox: Sendable {
    let root: String
    var home: String { root + "/home" }
    var rootfs: String { root + "/rootfs" }

    init(dataDirectory: String, namespace: String, name: String, uid: String) {
        root = "\(dataDirectory)/pods/\(namespace)_\(name)_\(uid.prefix(8))"
    }

    func volumePath(_ volume: String) -> String { "\(root)/volumes/\(volume)" }
    func logPath(container: String, restart: Int) -> String { "\(root)/logs/\(container)-\(restart).log" }
    func terminationMessagePath(container: String) -> String { "\(root)/termination/\(container)" }

    /// Creates the folders and materialises volumes: emptyDir as an empty folder, configMap/secret as
    /// one file per key, hostPath as a link to the host folder.
    func prepare(pod: JSONValue, store: ObjectStore) async throws {
        let fm = FileManager.default
        for dir in [home, rootfs, root + "/logs", root + "/volumes"] {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        let namespace = pod[path: "metadata", "namespace"]?.stringValue ?? "default"
        for volume in pod[path: "spec", "volumes"]?.arrayValue ?? [] {
            guard let name = volume["name"]?.stringValue else { continue }
            let path = volumePath(name)
            if let host = volume[path: "hostPath", "path"]?.stringValue {
                if !fm.fileExists(atPath: path) { try? fm.createSymbolicLink(atPath: path, withDestinationPath: host) }
                continue
            }
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
            for (resource, key) in [(ResourceType.configMaps, "configMap"), (.secrets, "secret")] {
                guard let source = volume[key] else { continue }
                let objectName = source[resource == .secrets ? "secretName" : "name"]?.stringValue ?? ""
                var ref: JSONValue = ["name": .string(objectName)]
                ref["optional"] = source["optional"]
                let data = (try? await ContainerPlan.lookup(resource, ref, namespace: namespace, store: store, key: nil)) ?? [:]
                for (file, content) in data {
                    try content.write(toFile: "\(path)/\(file)", atomically: true, encoding: .utf8)
                }
            }
        }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}
