import Foundation
import KubeAPI

/// One `--image-root IMAGE=DIR`: the root filesystem a node would have unpacked from `IMAGE`. DevCluster
/// has no image store, so a container whose image has a root runs inside that folder (`ImageRootLaunch`);
/// every other image runs as a host process, as before.
public struct ImageRoot: Sendable, Equatable {
    public var image: String
    public var directory: String

    public init(image: String, directory: String) {
        self.image = image
        self.directory = directory
    }

    /// `IMAGE=DIR`, split at the first `=` (an image reference never holds one; a folder may).
    public init(option text: String) throws(DevClusterError) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex, text.index(after: equals) != text.endIndex else {
            throw DevClusterError("--image-root '\(text)' is not IMAGE=DIR: give an image reference and a root folder, e.g. --image-root debian:bullseye=/srv/roots/bullseye")
        }
        self.init(image: String(text[..<equals]), directory: String(text[text.index(after: equals)...]))
    }
}

/// What running a container inside an image root needs from the machine the cluster runs on.
struct SandboxHost: Sendable, Equatable {
    /// Mounting and `chroot` need root (CAP_SYS_ADMIN, CAP_SYS_CHROOT).
    var isRoot: Bool
    /// Absolute paths of the tools the launch uses, by name; a missing one is absent.
    var tools: [String: String]

    static let requiredTools = ["sh", "mount", "unshare", "setpriv"]

    static var current: SandboxHost {
        var tools: [String: String] = [:]
        for name in requiredTools {
            tools[name] = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"].map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
        return SandboxHost(isRoot: geteuid() == 0, tools: tools)
    }
}

/// The cluster's image roots, keyed by the image reference as the kubelet normalises it before a pull
/// (`busybox` is `docker.io/library/busybox:latest`), so a pod may spell the image any equivalent way.
struct ImageRootTable: Sendable, Equatable {
    private(set) var roots: [String: String] = [:]
    private(set) var host = SandboxHost(isRoot: false, tools: [:])

    static let empty = ImageRootTable()

    private init() {}

    /// Checks every option against the machine at cluster start, so a root that cannot work is refused
    /// before any pod depends on it.
    init(_ entries: [ImageRoot], host: SandboxHost, dataDirectory: String) throws(DevClusterError) {
        guard !entries.isEmpty else { return }
        guard host.isRoot else {
            throw DevClusterError(
                "--image-root needs the cluster to run as root: each such container gets an overlay of its image root and its volumes mounted in a private mount namespace, then a chroot; "
                    + "run the cluster as root, or drop --image-root to run every container as a host process")
        }
        let missing = SandboxHost.requiredTools.filter { host.tools[$0] == nil }
        guard missing.isEmpty else {
            throw DevClusterError("--image-root needs \(missing.joined(separator: ", ")) on this machine (util-linux and a POSIX shell): install them, or drop --image-root")
        }
        if let bad = Self.mountOptionProblem(dataDirectory) {
            throw DevClusterError("--image-root: the cluster's data folder '\(dataDirectory)' \(bad), which an overlay mount option cannot carry: choose another --data-dir")
        }
        self.host = host
        for entry in entries {
            guard let key = Self.canonical(entry.image) else {
                throw DevClusterError("--image-root \(entry.image)=\(entry.directory): '\(entry.image)' is not an image reference a kubelet accepts (e.g. debian:bullseye or registry.example.com/team/app:1)")
            }
            let directory = URL(fileURLWithPath: entry.directory).standardizedFileURL.resolvingSymlinksInPath().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw DevClusterError("--image-root \(entry.image)=\(entry.directory): '\(entry.directory)' is not a folder: give the image's unpacked root filesystem (e.g. made with debootstrap --variant=minbase bullseye DIR)")
            }
            if let bad = Self.mountOptionProblem(directory) {
                throw DevClusterError("--image-root \(entry.image)=\(entry.directory): the folder \(bad), which an overlay mount option cannot carry: move or link the root elsewhere")
            }
            if let earlier = roots[key], earlier != directory {
                throw DevClusterError("--image-root gives \(key) twice ('\(earlier)' and '\(directory)'): keep one")
            }
            roots[key] = directory
        }
    }

    var isEmpty: Bool { roots.isEmpty }

    /// The root of the container's image, or nil: it runs as a host process.
    func root(for image: String) -> String? {
        guard !roots.isEmpty, let key = Self.canonical(image) else { return nil }
        return roots[key]
    }

    /// `ParseNormalizedNamed` then `TagNameOnly`: the domain and path, then the digest when there is one
    /// (a node pulls by digest), else the tag, `latest` when none.
    static func canonical(_ image: String) -> String? {
        guard case .success(let parsed) = ImageReference.parse(image) else { return nil }
        let name = "\(parsed.domain)/\(parsed.path)"
        if let digest = parsed.digest { return "\(name)@\(digest)" }
        return "\(name):\(parsed.tag ?? "latest")"
    }

    /// `lowerdir=`/`upperdir=` are comma-separated and `:` separates lower layers.
    static func mountOptionProblem(_ path: String) -> String? {
        if let bad = path.first(where: { ",:\n".contains($0) }) { return "holds '\(bad == "\n" ? "\\n" : String(bad))'" }
        return nil
    }
}
