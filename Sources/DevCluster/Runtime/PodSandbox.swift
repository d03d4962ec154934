import JSONValue
import Foundation
import KubeAPI

/// A pod's folder: `home/<container>/` (HOME of each container), `volumes/<name>/`, `rootfs/<container>/`
/// for absolute working dirs, `layers/<container>-<restart>/` for containers that run in their image's
/// root (`ImageRootLaunch`), and `logs/<container>-<restart>.log`. Each container has its own home and
/// rootfs, as each has its own root filesystem on a node; volumes are what containers share.
///
/// Ownership follows the kubelet (k/k `pkg/volume/emptydir/empty_dir.go setupDir`, `pkg/volume/
/// volume_linux.go SetVolumeOwnership`): emptyDir folders are root-owned with mode 0777, and with
/// `fsGroup` they belong to that group with the setgid bit (2777), so files made in them keep the group.
/// The sandbox folders themselves are 0755, so a container running as another user reaches its volumes.
struct PodSandbox: Sendable {
    let root: String
    var home: String { root + "/home" }
    var rootfs: String { root + "/rootfs" }
    func home(container: String) -> String { "\(home)/\(container)" }
    func rootfs(container: String) -> String { "\(rootfs)/\(container)" }

    init(dataDirectory: String, namespace: String, name: String, uid: String) {
        root = "\(dataDirectory)/pods/\(namespace)_\(name)_\(uid.prefix(8))"
    }

    func volumePath(_ volume: String) -> String { "\(root)/volumes/\(volume)" }
    func logPath(container: String, restart: Int) -> String { "\(root)/logs/\(container)-\(restart).log" }
    /// A fresh writable layer for each run, as a restarted container gets a new one on a node.
    func layer(container: String, restart: Int) -> String { "\(root)/layers/\(container)-\(restart)" }
    func terminationMessagePath(container: String) -> String { "\(root)/termination/\(container)" }

    /// A configMap or secret volume whose object does not exist (and is not `optional`): the kubelet retries
    /// the mount and the containers wait in ContainerCreating until it appears (k/k pkg/volume/secret/secret.go
    /// `SetUpAt`).
    struct MissingVolumeSource: Error { var message: String }

    /// Creates the folders and materialises volumes: emptyDir as an empty folder, configMap/secret as
    /// one file per key, hostPath as a link to the host folder. Throws `MissingVolumeSource` for a missing
    /// configMap or secret; calling it again once it exists finishes the job.
    func prepare(pod: JSONValue, store: ObjectStore) async throws {
        let fm = FileManager.default
        for dir in [home, rootfs, root + "/logs", root + "/volumes"] {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        for dir in [root, home, rootfs, root + "/logs", root + "/volumes"] { chmod(dir, 0o755) }
        let fsGroup = pod[path: "spec", "securityContext", "fsGroup"]?.intValue
        let namespace = pod[path: "metadata", "namespace"]?.stringValue ?? "default"
        for volume in pod[path: "spec", "volumes"]?.arrayValue ?? [] {
            guard let name = volume["name"]?.stringValue else { continue }
            let path = volumePath(name)
            if let host = volume[path: "hostPath", "path"]?.stringValue {
                if !fm.fileExists(atPath: path) { try? fm.createSymbolicLink(atPath: path, withDestinationPath: host) }
                continue
            }
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
            chmod(path, volume["emptyDir"] != nil ? 0o777 : 0o755)
            if volume["emptyDir"] != nil, let fsGroup, let gid = gid_t(exactly: fsGroup) {
                _ = chown(path, uid_t.max, gid)  // uid -1: owner unchanged
                chmod(path, 0o2777)
            }
            for (resource, key) in [(ResourceType.configMaps, "configMap"), (.secrets, "secret")] {
                guard let source = volume[key] else { continue }
                let objectName = source[resource == .secrets ? "secretName" : "name"]?.stringValue ?? ""
                var ref: JSONValue = ["name": .string(objectName)]
                ref["optional"] = source["optional"]
                let data: [String: String]
                do { data = try await ContainerPlan.lookup(resource, ref, namespace: namespace, store: store, key: nil) } catch {
                    throw MissingVolumeSource(message: "MountVolume.SetUp failed for volume \"\(name)\" : \(error.message)")
                }
                for (file, content) in data {
                    try content.write(toFile: "\(path)/\(file)", atomically: true, encoding: .utf8)
                    // `defaultMode` (0644 unless set), whatever the cluster's umask: any container user reads them.
                    chmod("\(path)/\(file)", mode_t(source["defaultMode"]?.intValue ?? 0o644))
                }
            }
        }
    }

    /// A container's own home and rootfs before it starts: the home belongs to the container's user (the
    /// image would have made it so), the rootfs to root. With `readOnlyRootFilesystem` both are made
    /// read-only once the working directory exists (`sealRootFilesystem`).
    func prepareContainer(_ container: String, security: ContainerSecurity) {
        for dir in [home(container: container), rootfs(container: container)] {
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            chmod(dir, 0o755)
        }
        if let uid = uid_t(exactly: security.uid), let gid = gid_t(exactly: security.gid) {
            _ = chown(home(container: container), uid, gid)
        }
    }

    /// `readOnlyRootFilesystem`, as far as a local process allows: the container's home and rootfs become
    /// root-owned and 0555, so a non-root process (or root without CAP_DAC_OVERRIDE) cannot write there;
    /// a node would answer EROFS where this answers EACCES. Volumes stay writable.
    func sealRootFilesystem(_ container: String) {
        for dir in [home(container: container), rootfs(container: container)] {
            _ = chown(dir, 0, 0)
            chmod(dir, 0o555)
        }
    }

    func remove() {
        // Read-only homes and rootfs are opened up first, so a cluster not running as root can delete them.
        for parent in [home, rootfs] {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] { chmod("\(parent)/\(entry)", 0o755) }
        }
        try? FileManager.default.removeItem(atPath: root)
    }
}
