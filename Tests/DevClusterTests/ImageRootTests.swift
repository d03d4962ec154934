@testable import DevCluster
import Foundation
import JSONValue
import Testing

/// `--image-root IMAGE=DIR` without running anything as root: the option's parsing, the refusals at
/// cluster start, which image spellings reach a root (the kubelet's normalisation: distribution/reference
/// `normalize.go ParseNormalizedNamed` + `TagNameOnly`), and where a container's volumes, termination file
/// and working folder land inside the root (symlinks followed inside it, as runc's securejoin does).
/// Running a container in a root is shown end to end by
/// Tests/Conformance/portability/test_image_root_cluster.py, which needs root.
@Suite(.timeLimit(.minutes(1))) struct ImageRootTests {
    static let capableHost = SandboxHost(isRoot: true, tools: ["sh": "/bin/sh", "mount": "/usr/bin/mount", "unshare": "/usr/bin/unshare", "setpriv": "/usr/bin/setpriv"])

    /// A scratch folder with a tiny image root: Debian's absolute `/var/run -> /run`, a relative
    /// `/lib -> usr/lib`, a link that climbs out with `..`, and a passwd file.
    static func makeRoot() throws -> String {
        let base = NSTemporaryDirectory() + "image-root-test-" + UUID().uuidString.prefix(8)
        let root = base + "/root"
        let fm = FileManager.default
        for folder in ["run", "usr/lib", "etc", "var", "dev", "home/app"] {
            try fm.createDirectory(atPath: "\(root)/\(folder)", withIntermediateDirectories: true)
        }
        try fm.createSymbolicLink(atPath: "\(root)/var/run", withDestinationPath: "/run")
        try fm.createSymbolicLink(atPath: "\(root)/lib", withDestinationPath: "usr/lib")
        try fm.createSymbolicLink(atPath: "\(root)/escape", withDestinationPath: "../../../../etc")
        try "root:x:0:0:root:/root:/bin/bash\napp:x:1000:1001:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
            .write(toFile: "\(root)/etc/passwd", atomically: true, encoding: .utf8)
        return root
    }

    static func cleanUp(_ root: String) {
        try? FileManager.default.removeItem(atPath: (root as NSString).deletingLastPathComponent)
    }

    func refusal(_ entries: [ImageRoot], host: SandboxHost = capableHost, dataDirectory: String = "/var/lib/devcluster") -> String? {
        do {
            _ = try ImageRootTable(entries, host: host, dataDirectory: dataDirectory)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func theOptionIsImageEqualsFolderSplitAtTheFirstEquals() throws {
        #expect(try ImageRoot(option: "debian:bullseye=/srv/roots/bullseye") == ImageRoot(image: "debian:bullseye", directory: "/srv/roots/bullseye"))
        #expect(try ImageRoot(option: "registry.example.com:5000/a/b:1=/srv/a=b") == ImageRoot(image: "registry.example.com:5000/a/b:1", directory: "/srv/a=b"))
        for bad in ["debian:bullseye", "=/srv/root", "debian=", ""] {
            do {
                let parsed = try ImageRoot(option: bad)
                Issue.record("'\(bad)' was accepted as \(parsed)")
            } catch {
                #expect(error.description == "--image-root '\(bad)' is not IMAGE=DIR: give an image reference and a root folder, e.g. --image-root debian:bullseye=/srv/roots/bullseye")
            }
        }
    }

    @Test func theClusterRefusesRootsItCannotRunWithTheReason() throws {
        let root = try Self.makeRoot()
        defer { Self.cleanUp(root) }
        let entry = ImageRoot(image: "debian:bullseye", directory: root)
        // Not root: nothing can be mounted or chrooted.
        let notRoot = refusal([entry], host: SandboxHost(isRoot: false, tools: Self.capableHost.tools))
        #expect(notRoot?.contains("needs the cluster to run as root") == true, "\(notRoot ?? "accepted")")
        #expect(notRoot?.contains("drop --image-root") == true)
        // No option, no requirement: a non-root cluster without --image-root starts as before.
        #expect(refusal([], host: SandboxHost(isRoot: false, tools: [:])) == nil)
        // A tool missing.
        var tools = Self.capableHost.tools
        tools["setpriv"] = nil
        let noTool = refusal([entry], host: SandboxHost(isRoot: true, tools: tools))
        #expect(noTool?.contains("needs setpriv") == true, "\(noTool ?? "accepted")")
        // The folder missing, or a file.
        let missing = refusal([ImageRoot(image: "debian:bullseye", directory: root + "/no-such")])
        #expect(missing?.contains("'\(root)/no-such' is not a folder") == true, "\(missing ?? "accepted")")
        #expect(refusal([ImageRoot(image: "debian:bullseye", directory: root + "/etc/passwd")])?.contains("is not a folder") == true)
        // Not an image reference the kubelet would accept.
        let badImage = refusal([ImageRoot(image: "Debian:Bullseye", directory: root)])
        #expect(badImage?.contains("is not an image reference") == true, "\(badImage ?? "accepted")")
        // One image, two roots (spelt two ways).
        let twice = refusal([entry, ImageRoot(image: "docker.io/library/debian:bullseye", directory: root + "/usr")])
        #expect(twice?.contains("docker.io/library/debian:bullseye twice") == true, "\(twice ?? "accepted")")
        // Paths an overlay's lowerdir/upperdir option cannot carry.
        #expect(refusal([entry], dataDirectory: "/var/lib/a,b")?.contains("choose another --data-dir") == true)
        // All is well.
        #expect(refusal([entry, ImageRoot(image: "debian:bullseye", directory: root + "/")]) == nil)
    }

    @Test func anyEquivalentSpellingOfTheImageReachesItsRoot() throws {
        let root = try Self.makeRoot()
        defer { Self.cleanUp(root) }
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let table = try ImageRootTable(
            [ImageRoot(image: "debian-bullseye-test", directory: root), ImageRoot(image: "ghcr.io/team/app@\(digest)", directory: root + "/usr")],
            host: Self.capableHost, dataDirectory: "/var/lib/devcluster")
        for image in ["debian-bullseye-test", "debian-bullseye-test:latest", "docker.io/library/debian-bullseye-test:latest",
                      "index.docker.io/library/debian-bullseye-test"] {
            #expect(table.root(for: image) == root, "\(image)")
        }
        for image in ["debian-bullseye-test:11", "localhost/debian-bullseye-test", "busybox", "Not A Reference"] {
            #expect(table.root(for: image) == nil, "\(image)")
        }
        #expect(table.root(for: "ghcr.io/team/app:v1@\(digest)") == root + "/usr")
        #expect(table.root(for: "ghcr.io/team/app:latest") == nil)
        #expect(ImageRootTable.empty.root(for: "debian-bullseye-test") == nil)
    }

    @Test func pathsAreResolvedInsideTheRootNeverOutsideIt() throws {
        let root = try Self.makeRoot()
        defer { Self.cleanUp(root) }
        #expect(ImageRootLaunch.resolve("/var/run/secrets/token", in: root) == "/run/secrets/token")
        #expect(ImageRootLaunch.resolve("/lib/x86_64-linux-gnu", in: root) == "/usr/lib/x86_64-linux-gnu")
        #expect(ImageRootLaunch.resolve("/escape/x", in: root) == "/etc/x")
        #expect(ImageRootLaunch.resolve("/../../etc/./passwd", in: root) == "/etc/passwd")
        #expect(ImageRootLaunch.resolve("relative/dir/", in: root) == "/relative/dir")
        #expect(ImageRootLaunch.resolve("/", in: root) == "/")
    }

    @Test func volumesTheTerminationFileAndTheWorkingFolderLandAtTheirPathsInTheRoot() throws {
        let root = try Self.makeRoot()
        defer { Self.cleanUp(root) }
        let launch = ImageRootLaunch(
            root: root, layer: "/data/pods/p/layers/main-0",
            mounts: [("/data/cache", "/data/pods/p/volumes/cache", false), ("/var/run/secrets/kubernetes.io/serviceaccount", "/data/pods/p/volumes/sa", true),
                     ("/data", "/data/pods/p/volumes/work", false), ("/clearml-agent", "/data/pods/p/volumes/clearml-agent", false),
                     ("/dev/termination-log", "/data/pods/p/termination/main", false)],
            workingDirectory: "/var/run/app", readOnlyRootFilesystem: false)
        #expect(launch.binds == [
            .init(source: "/data/pods/p/volumes/work", target: "/data", readOnly: false),
            .init(source: "/data/pods/p/volumes/clearml-agent", target: "/clearml-agent", readOnly: false),
            .init(source: "/data/pods/p/volumes/cache", target: "/data/cache", readOnly: false),
            .init(source: "/data/pods/p/termination/main", target: "/dev/termination-log", readOnly: false),
            .init(source: "/data/pods/p/layers/main-0/hosts", target: "/etc/hosts", readOnly: false),
            .init(source: "/data/pods/p/layers/main-0/resolv.conf", target: "/etc/resolv.conf", readOnly: false),
            .init(source: "/data/pods/p/volumes/sa", target: "/run/secrets/kubernetes.io/serviceaccount", readOnly: true),
        ])
        #expect(launch.workingDirectory == "/run/app")
        #expect(launch.merged == "/data/pods/p/layers/main-0/merged")

        let script = launch.script(mount: "/usr/bin/mount", exec: ["/usr/bin/true"], environment: [:])
        // The overlay: the shared root below, this run's folders above.
        #expect(script.contains("mount -t overlay overlay -o lowerdir=\(root),upperdir=/data/pods/p/layers/main-0/upper,workdir=/data/pods/p/layers/main-0/work /data/pods/p/layers/main-0/merged"))
        // Each volume bound at its mount path under the merged root, parents first; read-only ones remounted so.
        let order = [("work", "/data"), ("clearml-agent", "/clearml-agent"), ("cache", "/data/cache"), ("sa", "/run/secrets/kubernetes.io/serviceaccount")].map { volume, target in
            script.range(of: "mount --bind /data/pods/p/volumes/\(volume) /data/pods/p/layers/main-0/merged\(target)\n")?.lowerBound
        }
        #expect(order.allSatisfy { $0 != nil }, "\(script)")
        #expect(order.compactMap { $0 } == order.compactMap { $0 }.sorted())
        #expect(script.contains("mount -o remount,bind,ro /data/pods/p/layers/main-0/merged/run/secrets/kubernetes.io/serviceaccount\n"))
        #expect(!script.contains("remount,bind,ro /data/pods/p/layers/main-0/merged\n"))
        #expect(script.contains("mkdir -p /data/pods/p/layers/main-0/merged/run/app "))
        #expect(script.contains("unset PWD\n"))
        // Nothing is ever made in the shared root itself: every target is under the merged view.
        for line in script.split(separator: "\n") where line.contains(root) {
            #expect(line.hasPrefix("mount -t overlay"), "\(line)")
        }
        let readOnly = ImageRootLaunch(root: root, layer: "/l", mounts: [("/etc/hosts", "/v/hosts", true)], workingDirectory: nil, readOnlyRootFilesystem: true)
        #expect(readOnly.binds.filter { $0.target == "/etc/hosts" } == [.init(source: "/v/hosts", target: "/etc/hosts", readOnly: true)])
        #expect(readOnly.workingDirectory == "/")
        #expect(readOnly.script(mount: "/usr/bin/mount", exec: ["/x"], environment: ["PWD": "/w d"]).contains("mount -o remount,bind,ro /l/merged\nexport PWD='/w d'\n"))
    }

    @Test func theUserIsSwitchedAfterTheChrootAndTheRestBeforeIt() throws {
        let root = try Self.makeRoot()
        defer { Self.cleanUp(root) }
        let launch = ImageRootLaunch(root: root, layer: "/l", mounts: [], workingDirectory: "/home/app", readOnlyRootFilesystem: false)
        var security = ContainerSecurity(runAsUser: 1000, runAsGroup: 1001, supplementalGroups: [2000], allowPrivilegeEscalation: false, capabilitiesDrop: ["ALL"])
        let arguments = launch.arguments(command: ["python3", "-c", "print(1)"], security: security, environment: [:], host: Self.capableHost)
        #expect(Array(arguments.prefix(7)) == ["/usr/bin/unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c"])
        #expect(Array(arguments.suffix(4)) == ["devcluster-container", "python3", "-c", "print(1)"])
        let exec = arguments[7].split(separator: "\n").last.map(String.init) ?? ""
        #expect(exec == "exec /usr/bin/setpriv --regid=1001 --groups=2000 --no-new-privs --bounding-set=-all,+sys_chroot,+setuid -- /usr/bin/unshare --root=/l/merged --wd=/home/app --setuid=1000 -- \"$@\"")
        // Root keeps its identity; only what the chroot needs is added to a bounding set that lacks it.
        security = ContainerSecurity(capabilitiesDrop: ["NET_RAW"])
        #expect(!security.setprivOptionsBeforeChroot.contains { $0.hasPrefix("--reuid") })
        let bounding = try #require(security.setprivOptionsBeforeChroot.last)
        #expect(bounding.components(separatedBy: "+sys_chroot").count == 2, "\(bounding)")  // in the default set already
        #expect(!bounding.contains("+net_raw") && !bounding.contains("+setuid,+sys_chroot"), "\(bounding)")
        let rootArguments = launch.arguments(command: ["true"], security: security, environment: [:], host: Self.capableHost)
        #expect(!rootArguments[7].contains("--setuid"))
        // A host process keeps its old options, the user first.
        #expect(security.setprivOptions.first == "--reuid=0")
    }

    @Test func theImagesPasswdGivesHomeAndGroup() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n# comment\nbroken:x\napp:x:1000:1001::/home/app:/bin/sh\nnohome:x:7:7:::\n"
        #expect(ImageRootLaunch.passwdEntry(uid: 0, passwd: passwd)?.home == "/root")
        #expect(ImageRootLaunch.passwdEntry(uid: 1000, passwd: passwd)?.gid == 1001)
        #expect(ImageRootLaunch.passwdEntry(uid: 7, passwd: passwd)?.home == "/")
        #expect(ImageRootLaunch.passwdEntry(uid: 4242, passwd: passwd) == nil)
    }

    @Test func aContainerInItsRootKeepsItsPathsAndGetsTheImagesEnvironment() async throws {
        let root = try Self.makeRoot()
        defer { Self.cleanUp(root) }
        let data = (root as NSString).deletingLastPathComponent + "/data"
        let sandbox = PodSandbox(dataDirectory: data, namespace: "default", name: "p", uid: "0123456789")
        let pod: JSONValue = [
            "metadata": ["name": "p", "namespace": "default", "uid": "0123456789"],
            "spec": ["volumes": [["name": "agent", "emptyDir": [:]]]],
        ]
        let container: JSONValue = [
            "name": "task", "image": "debian-bullseye-test", "command": ["/bin/bash", "-c"], "args": ["exec /clearml-agent/bin/run $(WHERE)"],
            "env": [["name": "WHERE", "value": "/clearml-agent/x"]],
            "volumeMounts": [["name": "agent", "mountPath": "/clearml-agent"],
                             ["name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true]],
        ]
        let security = ContainerSecurity(runAsUser: 1000)
        let plan = try await ContainerPlan.make(
            container: container, pod: pod, sandbox: sandbox, store: ObjectStore(),
            imageRoot: .init(root: root, layer: sandbox.layer(container: "task", restart: 0), security: security))
        #expect(plan.arguments == ["/bin/bash", "-c", "exec /clearml-agent/bin/run /clearml-agent/x"])
        #expect(plan.environment["WHERE"] == "/clearml-agent/x")
        #expect(plan.environment["HOME"] == "/home/app")
        #expect(plan.environment["PATH"] == ImageRootLaunch.defaultPath)
        #expect(plan.environment["LANG"] == nil && plan.environment["KUBERNETES_SERVICE_ACCOUNT_DIR"] == nil)
        let rootfs = try #require(plan.rootfs)
        #expect(rootfs.layer.hasSuffix("/layers/task-0"))
        #expect(rootfs.binds.contains(.init(source: sandbox.volumePath("agent"), target: "/clearml-agent", readOnly: false)))
        #expect(rootfs.binds.contains(.init(source: sandbox.volumePath("kube-api-access"), target: "/run/secrets/kubernetes.io/serviceaccount", readOnly: true)))
        #expect(rootfs.binds.contains(.init(source: sandbox.terminationMessagePath(container: "task"), target: "/dev/termination-log", readOnly: false)))

        // The same container without a root: its paths point into the sandbox, as before.
        let host = try await ContainerPlan.make(container: container, pod: pod, sandbox: sandbox, store: ObjectStore())
        #expect(host.rootfs == nil)
        #expect(host.arguments.last == "exec \(sandbox.volumePath("agent"))/bin/run \(sandbox.volumePath("agent"))/x")
        #expect(host.environment["KUBERNETES_SERVICE_ACCOUNT_DIR"] == sandbox.volumePath("kube-api-access"))
    }
}
