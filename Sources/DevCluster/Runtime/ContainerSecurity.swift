import Foundation
import JSONValue

/// Who a container's process runs as and what it may do, derived from the pod's and the container's
/// `securityContext` as the kubelet derives it (k/k `pkg/securitycontext DetermineEffectiveSecurityContext`:
/// the container's runAsUser/runAsGroup/runAsNonRoot override the pod's; `kuberuntime
/// determineEffectiveSecurityContext`: fsGroup, then supplementalGroups, become supplementary groups) and
/// as containerd applies it (default capability set, `drop: ["ALL"]`, `add`).
///
/// DevCluster has no images, so it never knows an image's `USER`: an unset runAsUser means root, as it
/// does for most images. When the cluster runs as root the process is started through
/// `setpriv --reuid --regid --groups|--clear-groups [--no-new-privs] --bounding-set ...`; otherwise it
/// runs as the cluster's own user (a user cannot switch identity), with the same checks applied.
struct ContainerSecurity: Sendable, Equatable {
    /// nil: the image's user, which DevCluster takes to be root.
    var runAsUser: Int64?
    var runAsGroup: Int64?
    var supplementalGroups: [Int64] = []
    var runAsNonRoot: Bool?
    var readOnlyRootFilesystem = false
    var privileged = false
    var allowPrivilegeEscalation: Bool?
    var capabilitiesAdd: [String] = []
    var capabilitiesDrop: [String] = []

    var uid: Int64 { runAsUser ?? 0 }
    /// Without runAsGroup the runtime takes the group of the user's passwd entry, root's for an unknown user.
    var gid: Int64 { runAsGroup ?? 0 }

    static func effective(pod: JSONValue, container: JSONValue) -> ContainerSecurity {
        let podContext = pod[path: "spec", "securityContext"]
        let own = container["securityContext"]
        func pick(_ key: String) -> JSONValue? { own?[key].flatMap { $0 == .null ? nil : $0 } ?? podContext?[key].flatMap { $0 == .null ? nil : $0 } }
        var security = ContainerSecurity()
        security.runAsUser = pick("runAsUser")?.intValue
        security.runAsGroup = pick("runAsGroup")?.intValue
        security.runAsNonRoot = pick("runAsNonRoot")?.boolValue
        var groups: [Int64] = []
        if let fsGroup = podContext?["fsGroup"]?.intValue { groups.append(fsGroup) }
        groups += (podContext?["supplementalGroups"]?.arrayValue ?? []).compactMap(\.intValue)
        security.supplementalGroups = groups
        security.readOnlyRootFilesystem = own?["readOnlyRootFilesystem"]?.boolValue ?? false
        security.privileged = own?["privileged"]?.boolValue ?? false
        security.allowPrivilegeEscalation = own?["allowPrivilegeEscalation"]?.boolValue
        security.capabilitiesAdd = (own?[path: "capabilities", "add"]?.arrayValue ?? []).compactMap(\.stringValue)
        security.capabilitiesDrop = (own?[path: "capabilities", "drop"]?.arrayValue ?? []).compactMap(\.stringValue)
        return security
    }

    /// k/k `pkg/kubelet/kuberuntime/security_context_others.go verifyRunAsNonRoot`: the container is not
    /// created (CreateContainerConfigError) when it must not run as root and would. `format.Pod` is
    /// `name_namespace(uid)`.
    func runAsNonRootProblem(pod: JSONValue, container: String) -> String? {
        guard runAsNonRoot == true else { return nil }
        let name = pod[path: "metadata", "name"]?.stringValue ?? ""
        let namespace = pod[path: "metadata", "namespace"]?.stringValue ?? ""
        let uid = pod[path: "metadata", "uid"]?.stringValue ?? ""
        let podName = GoQuote.quote("\(name)_\(namespace)(\(uid))")
        if let user = runAsUser {
            return user == 0 ? "container's runAsUser breaks non-root policy (pod: \(podName), container: \(container))" : nil
        }
        // No runAsUser: the image's user decides, and an image here is taken to run as root.
        return "container has runAsNonRoot and image will run as root (pod: \(podName), container: \(container))"
    }

    /// containerd's default capability set for a container (`oci.DefaultSpec` / CRI defaults).
    static let defaultCapabilities = [
        "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP", "SETPCAP",
        "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
    ]
    /// The capabilities `setpriv` knows (`setpriv --list-caps`); any other name is ignored.
    static let knownCapabilities: Set<String> = [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE",
        "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT",
        "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE",
        "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ",
        "PERFMON", "BPF", "CHECKPOINT_RESTORE",
    ]

    /// The capability bounding set (nil: unrestricted, for privileged containers), as containerd's CRI
    /// `WithCapabilities` builds it: the defaults, `add: ["ALL"]` then `drop: ["ALL"]`, then each add, then each drop.
    var boundingSet: [String]? {
        if privileged { return nil }
        func normal(_ name: String) -> String {
            let upper = name.uppercased()
            return upper.hasPrefix("CAP_") ? String(upper.dropFirst(4)) : upper
        }
        var set = Self.defaultCapabilities
        if capabilitiesAdd.map(normal).contains("ALL") { set = Self.knownCapabilities.sorted() }
        if capabilitiesDrop.map(normal).contains("ALL") { set = [] }
        for cap in capabilitiesAdd.map(normal) where cap != "ALL" && Self.knownCapabilities.contains(cap) && !set.contains(cap) { set.append(cap) }
        let dropped = Set(capabilitiesDrop.map(normal))
        return set.filter { !dropped.contains($0) }
    }

    /// The `setpriv` options that start the process with this identity.
    var setprivOptions: [String] {
        ["--reuid=\(uid)"] + options(bounding: boundingSet)
    }

    /// For a container in its image root (`ImageRootLaunch`): everything but the user, which
    /// `unshare --setuid` switches after its chroot. That chroot (and the switch) happen after this exec,
    /// so the bounding set keeps SYS_CHROOT (and SETUID) for them.
    var setprivOptionsBeforeChroot: [String] {
        let needed = uid == 0 ? ["SYS_CHROOT"] : ["SYS_CHROOT", "SETUID"]
        return options(bounding: boundingSet.map { set in set + needed.filter { !set.contains($0) } })
    }

    private func options(bounding: [String]?) -> [String] {
        var options = ["--regid=\(gid)"]
        let groups = supplementalGroups.reduce(into: [Int64]()) { if !$0.contains($1) { $0.append($1) } }
        options.append(groups.isEmpty ? "--clear-groups" : "--groups=" + groups.map(String.init).joined(separator: ","))
        // allowPrivilegeEscalation=false is the no_new_privs flag (and privileged always escalates).
        if allowPrivilegeEscalation == false, !privileged { options.append("--no-new-privs") }
        if let bounding {
            options.append("--bounding-set=" + (["-all"] + bounding.map { "+" + $0.lowercased() }).joined(separator: ","))
        }
        return options
    }
}
