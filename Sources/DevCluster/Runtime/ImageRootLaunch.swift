import Foundation

/// How a container whose image has a root (`--image-root`) is started: inside that root, with its volumes
/// at their mount paths, as a node's runtime starts it in the unpacked image.
///
/// Why this way: the root is shared by every container of the image and must never change, yet each
/// container needs its own writable root (HOME, /tmp, the start script) and its own volumes at paths
/// other pods use too (`/clearml-agent` in every task pod). Copying a minbase root per container costs
/// seconds and hundreds of MB; bind-mounting volumes into the shared root would make concurrent pods
/// collide and write into it. So each container gets, in a private mount namespace (`unshare --mount`,
/// gone with the container's last process, so a crash leaves no mount behind on the host): an overlay
/// whose lower layer is the shared root and whose upper layer is a fresh folder of this run (what
/// containerd's overlayfs snapshotter does; one mount, milliseconds), proc, sysfs, a small /dev, the
/// pod's /etc/hosts and resolv.conf, and its volumes bound at their mount paths. A host shell does the
/// mounts, then `setpriv` sets groups, no_new_privs and the capability bounding set, and
/// `unshare --root --wd --setuid` does the chroot, working folder and user switch before the exec, which
/// resolves the command in the image's PATH. A tool found in the image is never needed, so roots without
/// a libc (busybox-static) work too.
///
/// The one approximation: `setpriv` cannot chroot and `chroot`/`unshare` cannot shape capabilities, so
/// the bounding set keeps SYS_CHROOT, and SETUID for a non-root user, through the last exec. A non-root
/// process holds no capability after `setuid` anyway; a root container that dropped those two keeps them.
struct ImageRootLaunch: Sendable, Equatable {
    /// A folder or file bound at `target`, a path inside the root.
    struct Bind: Sendable, Equatable {
        var source: String
        var target: String
        var readOnly: Bool
    }

    /// The image's root, the overlay's lower layer: never written.
    var root: String
    /// This run's folder: `upper/`, `work/`, `merged/` (the overlay), `hosts` and `resolv.conf`.
    var layer: String
    /// Parents before children, so a mount inside another volume lands in it.
    var binds: [Bind]
    /// Inside the root, symlinks of the image resolved.
    var workingDirectory: String
    var readOnlyRootFilesystem: Bool

    var upper: String { layer + "/upper" }
    var work: String { layer + "/work" }
    var merged: String { layer + "/merged" }
    var hostsFile: String { layer + "/hosts" }
    var resolvFile: String { layer + "/resolv.conf" }

    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// `mounts` are the container's volume mounts as (mount path, host source, read-only), the
    /// termination-message file among them; `workingDirectory` is the container's, nil for the image's
    /// (unknown here, so `/`).
    init(root: String, layer: String, mounts: [(path: String, source: String, readOnly: Bool)], workingDirectory: String?,
         readOnlyRootFilesystem: Bool) {
        self.root = root
        self.layer = Self.absolute(layer)
        var binds = mounts.map { Bind(source: Self.absolute($0.source), target: Self.resolve($0.path, in: root), readOnly: $0.readOnly) }
        // The kubelet's own files of the pod (kubelet_pods.go makeMounts: etc-hosts; the runtime's resolv.conf).
        for (file, path) in [(self.layer + "/hosts", "/etc/hosts"), (self.layer + "/resolv.conf", "/etc/resolv.conf")]
            where !binds.contains(where: { $0.target == Self.resolve(path, in: root) }) {
            binds.append(Bind(source: file, target: Self.resolve(path, in: root), readOnly: false))
        }
        self.binds = binds.enumerated().sorted { a, b in
            let (depthA, depthB) = (a.element.target.split(separator: "/").count, b.element.target.split(separator: "/").count)
            return depthA != depthB ? depthA < depthB : a.offset < b.offset
        }.map(\.element)
        self.workingDirectory = Self.resolve(workingDirectory.flatMap { $0.isEmpty ? nil : $0 } ?? "/", in: root)
        self.readOnlyRootFilesystem = readOnlyRootFilesystem
    }

    /// Creates this run's folders and the pod's hosts and resolv.conf (the host's: pods share its network).
    func prepare(podName: String) throws {
        for folder in [upper, work, merged] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            chmod(folder, 0o755)
        }
        let hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.0.1\t\(podName)\n"
        try hosts.write(toFile: hostsFile, atomically: true, encoding: .utf8)
        let resolv = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? "nameserver 127.0.0.1\n"
        try resolv.write(toFile: resolvFile, atomically: true, encoding: .utf8)
        for file in [hostsFile, resolvFile] { chmod(file, 0o644) }
    }

    /// The whole command line: `unshare --mount` runs the host shell that mounts, which execs `setpriv`
    /// then `unshare --root` then `command` (its PATH lookup inside the root).
    func arguments(command: [String], security: ContainerSecurity, environment: [String: String], host: SandboxHost) -> [String] {
        let tool = { (name: String) in host.tools[name] ?? "/usr/bin/\(name)" }
        let user = security.uid == 0 ? [] : ["--setuid=\(security.uid)"]
        let tail = [tool("setpriv")] + security.setprivOptionsBeforeChroot + ["--", tool("unshare"), "--root=" + merged, "--wd=" + workingDirectory] + user + ["--"]
        return [tool("unshare"), "--mount", "--propagation", "private", "--", tool("sh"), "-c",
                script(mount: tool("mount"), exec: tail, environment: environment), "devcluster-container"] + command
    }

    /// The host shell's part, run as root in the new mount namespace; "$@" is the container's command.
    /// A failed step ends the container with 128 and says which, in its log, as a runtime's StartError does.
    func script(mount: String, exec: [String], environment: [String: String]) -> String {
        let m = Self.quote(merged)
        func at(_ path: String) -> String { Self.quote(merged + path) }
        var lines = [
            "fail() { echo \"devcluster: cannot start the container in its image root: $*\" >&2; exit 128; }",
            "mount() { \(Self.quote(mount)) \"$@\" || fail \"mount $*\"; }",
            "mount -t overlay overlay -o \(Self.quote("lowerdir=\(root),upperdir=\(upper),workdir=\(work)")) \(m)",
            "mkdir -p \(at("/proc")) \(at("/sys")) \(at("/dev")) || fail 'mkdir /proc /sys /dev'",
            "mount -t proc -o nosuid,nodev,noexec proc \(at("/proc"))",
            // sysfs read-only, as runc mounts it; not every host lets a namespace mount one.
            "\(Self.quote(mount)) -t sysfs -o ro,nosuid,nodev,noexec sysfs \(at("/sys")) 2>/dev/null || true",
            // runc's /dev: a tmpfs with the standard nodes bound from the host, its own ptys and shm.
            "mount -t tmpfs -o nosuid,mode=755,size=65536k tmpfs \(at("/dev"))",
            "for node in null zero full random urandom tty; do : > \(m)/dev/$node && mount --bind /dev/$node \(m)/dev/$node; done",
            "mkdir -p \(at("/dev/pts")) \(at("/dev/shm")) && ln -s pts/ptmx \(at("/dev/ptmx")) && ln -s /proc/self/fd \(at("/dev/fd")) || fail 'populate /dev'",
            "ln -s /proc/self/fd/0 \(at("/dev/stdin")) && ln -s /proc/self/fd/1 \(at("/dev/stdout")) && ln -s /proc/self/fd/2 \(at("/dev/stderr")) || fail 'populate /dev'",
            "\(Self.quote(mount)) -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts \(at("/dev/pts")) 2>/dev/null || true",
            "mount -t tmpfs -o nosuid,nodev,mode=1777 shm \(at("/dev/shm"))",
        ]
        for bind in binds {
            let target = at(bind.target), source = Self.quote(bind.source)
            // A folder is bound on a folder, a file on a file, made in the upper layer when the image lacks it.
            lines.append("if [ -d \(source) ]; then mkdir -p \(target); else mkdir -p \"$(dirname \(target))\" && { [ -e \(target) ] || : > \(target); }; fi || fail \(Self.quote("mount point \(bind.target)"))")
            lines.append("mount --bind \(source) \(target)")
            if bind.readOnly { lines.append("mount -o remount,bind,ro \(target)") }
        }
        lines.append("mkdir -p \(at(workingDirectory)) || fail \(Self.quote("working directory \(workingDirectory)"))")
        if readOnlyRootFilesystem { lines.append("mount -o remount,bind,ro \(m)") }
        // The shell exports PWD; the container sees only its own environment.
        lines.append(environment["PWD"].map { "export PWD=\(Self.quote($0))" } ?? "unset PWD")
        lines.append("exec " + exec.map(Self.quote).joined(separator: " ") + " \"$@\"")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `path` inside `root`, every symlink on the way followed as the container would see it: an absolute
    /// link restarts at the root, `..` stops there (runc's securejoin), so a mount point is never made
    /// outside the root through a link such as Debian's `/var/run -> /run`. Missing parts are kept as given.
    static func resolve(_ path: String, in root: String) -> String {
        var pending = path.split(separator: "/").map(String.init)
        var resolved: [String] = []
        var links = 0
        while !pending.isEmpty {
            let part = pending.removeFirst()
            if part == "." || part.isEmpty { continue }
            if part == ".." {
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            let candidate = root + "/" + (resolved + [part]).joined(separator: "/")
            if links < 40, let target = try? FileManager.default.destinationOfSymbolicLink(atPath: candidate) {
                links += 1
                if target.hasPrefix("/") { resolved = [] }
                pending = target.split(separator: "/").map(String.init) + pending
                continue
            }
            resolved.append(part)
        }
        return "/" + resolved.joined(separator: "/")
    }

    /// The user's primary group and home in the image's `/etc/passwd`, which the runtime reads for a
    /// numeric user (runc `user.GetExecUser`: HOME from the entry, `/` without one).
    static func passwdEntry(uid: Int64, passwd: String) -> (gid: Int64, home: String)? {
        for line in passwd.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 6, Int64(fields[2]) == uid, let gid = Int64(fields[3]) else { continue }
            return (gid, fields[5].isEmpty ? "/" : String(fields[5]))
        }
        return nil
    }

    static func passwdEntry(uid: Int64, root: String) -> (gid: Int64, home: String)? {
        let file = root + resolve("/etc/passwd", in: root)
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        return passwdEntry(uid: uid, passwd: text)
    }

    static func quote(_ word: String) -> String {
        if !word.isEmpty, word.allSatisfy({ $0.isLetter || $0.isNumber || "/-_.,:=+@%".contains($0) }), word.allSatisfy(\.isASCII) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
