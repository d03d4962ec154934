import JSONValue

/// The Pod Security Standards checks, one table entry per upstream check (pod-security-admission
/// `policy/check_*.go`, release v0.32): its id, level, the first policy version it applies to, the
/// baseline checks it replaces at the restricted level, and the function giving upstream's
/// `ForbiddenReason` and `ForbiddenDetail` for a pod that fails it. `registry.go populate` orders them:
/// baseline ids sorted, then restricted ids sorted.
struct PodSecurityCheck: Sendable {
    typealias Failure = (reason: String, detail: String)

    var id: String
    var level: PodSecurityPolicy.Level
    var minimumMinor: Int
    var overrides: [String] = []
    var evaluate: @Sendable (PodSecurityInput, _ minor: Int) -> Failure?

    /// The newest version any check knows (sysctls changed in 1.32); `latest` and newer versions mean this.
    static let newestMinor = 32

    static let all: [PodSecurityCheck] = [
        // MARK: baseline
        PodSecurityCheck(id: "appArmorProfile", level: .baseline, minimumMinor: 0) { pod, _ in
            var setters: [String] = [], values = Set<String>()
            func allowed(_ type: String) -> Bool { type == "RuntimeDefault" || type == "Localhost" }
            if let profile = pod.podContext?["appArmorProfile"], profile != .null {
                let type = profile["type"]?.stringValue ?? ""
                if !allowed(type) { setters.append("pod"); values.insert(type) }
            }
            let containers = pod.containerNames { c in
                guard let profile = c.context?["appArmorProfile"], profile != .null else { return false }
                let type = profile["type"]?.stringValue ?? ""
                if !allowed(type) { values.insert(type); return true }
                return false
            }
            if !containers.isEmpty { setters.append(pluralize("container", "containers", containers.count) + " " + joinQuote(containers)) }
            let prefix = "container.apparmor.security.beta.kubernetes.io/"
            let annotations = pod.annotations.filter { key, value in
                key.hasPrefix(prefix) && !(value.isEmpty || value == "runtime/default" || value.hasPrefix("localhost/"))
            }.map { "\($0.key)=\(GoQuote.quote($0.value))" }.sorted()
            let list = values.sorted() + annotations
            if !annotations.isEmpty { setters.append(pluralize("annotation", "annotations", annotations.count)) }
            guard !setters.isEmpty else { return nil }
            return (pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", list.count),
                    "\(setters.joined(separator: " and ")) must not set AppArmor profile type to \(joinQuote(list))")
        },
        PodSecurityCheck(id: "capabilities_baseline", level: .baseline, minimumMinor: 0) { pod, _ in
            let allowed: Set<String> = [
                "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID",
                "SETPCAP", "SETUID", "SYS_CHROOT",
            ]
            var added = Set<String>()
            let containers = pod.containerNames { c in
                let bad = c.capabilitiesAdd.filter { !allowed.contains($0) }
                added.formUnion(bad)
                return !bad.isEmpty
            }
            guard !containers.isEmpty else { return nil }
            return ("non-default capabilities",
                    "\(pluralize("container", "containers", containers.count)) \(joinQuote(containers)) must not include \(joinQuote(added.sorted())) in securityContext.capabilities.add")
        },
        PodSecurityCheck(id: "hostNamespaces", level: .baseline, minimumMinor: 0) { pod, _ in
            let set = ["hostNetwork", "hostPID", "hostIPC"].filter { pod.spec[$0]?.boolValue == true }.map { "\($0)=true" }
            return set.isEmpty ? nil : ("host namespaces", set.joined(separator: ", "))
        },
        PodSecurityCheck(id: "hostPathVolumes", level: .baseline, minimumMinor: 0) { pod, _ in
            let volumes = pod.volumes.filter { $0["hostPath"].map { $0 != .null } ?? false }.map { $0["name"]?.stringValue ?? "" }
            return volumes.isEmpty ? nil : ("hostPath volumes", "\(pluralize("volume", "volumes", volumes.count)) \(joinQuote(volumes))")
        },
        PodSecurityCheck(id: "hostPorts", level: .baseline, minimumMinor: 0) { pod, _ in
            var ports = Set<String>()
            let containers = pod.containerNames { c in
                let used = (c.json["ports"]?.arrayValue ?? []).compactMap { $0["hostPort"]?.intValue }.filter { $0 != 0 }
                ports.formUnion(used.map(String.init))
                return !used.isEmpty
            }
            guard !containers.isEmpty else { return nil }
            return ("hostPort", [
                pluralize("container", "containers", containers.count), joinQuote(containers), pluralize("uses", "use", containers.count),
                pluralize("hostPort", "hostPorts", ports.count), ports.sorted().joined(separator: ", "),
            ].joined(separator: " "))
        },
        PodSecurityCheck(id: "privileged", level: .baseline, minimumMinor: 0) { pod, _ in
            let containers = pod.containerNames { $0.context?["privileged"]?.boolValue == true }
            guard !containers.isEmpty else { return nil }
            return ("privileged", "\(pluralize("container", "containers", containers.count)) \(joinQuote(containers)) must not set securityContext.privileged=true")
        },
        PodSecurityCheck(id: "procMount", level: .baseline, minimumMinor: 0) { pod, _ in
            var types = Set<String>()
            let containers = pod.containerNames { c in
                guard let type = c.context?["procMount"]?.stringValue, type != "Default" else { return false }
                types.insert(type)
                return true
            }
            guard !containers.isEmpty else { return nil }
            return ("procMount", "\(pluralize("container", "containers", containers.count)) \(joinQuote(containers)) must not set securityContext.procMount to \(joinQuote(types.sorted()))")
        },
        PodSecurityCheck(id: "seLinuxOptions", level: .baseline, minimumMinor: 0) { pod, minor in
            var allowedTypes: Set<String> = ["", "container_t", "container_init_t", "container_kvm_t"]
            if minor >= 31 { allowedTypes.insert("container_engine_t") }
            var types = Set<String>(), setUser = false, setRole = false
            func valid(_ options: JSONValue) -> Bool {
                var ok = true
                let type = options["type"]?.stringValue ?? ""
                if !allowedTypes.contains(type) { ok = false; types.insert(type) }
                if !(options["user"]?.stringValue ?? "").isEmpty { ok = false; setUser = true }
                if !(options["role"]?.stringValue ?? "").isEmpty { ok = false; setRole = true }
                return ok
            }
            var setters: [String] = []
            if let options = pod.podContext?["seLinuxOptions"], options != .null, !valid(options) { setters.append("pod") }
            let containers = pod.containerNames { c in
                guard let options = c.context?["seLinuxOptions"], options != .null else { return false }
                return !valid(options)
            }
            if !containers.isEmpty { setters.append(pluralize("container", "containers", containers.count) + " " + joinQuote(containers)) }
            guard !setters.isEmpty else { return nil }
            var data: [String] = []
            if !types.isEmpty { data.append(pluralize("type", "types", types.count) + " " + joinQuote(types.sorted())) }
            if setUser { data.append("user may not be set") }
            if setRole { data.append("role may not be set") }
            return ("seLinuxOptions", "\(setters.joined(separator: " and ")) set forbidden securityContext.seLinuxOptions: \(data.joined(separator: "; "))")
        },
        PodSecurityCheck(id: "seccompProfile_baseline", level: .baseline, minimumMinor: 0) { pod, minor in
            if minor < 19 {
                // v1.0: the alpha annotations.
                func valid(_ value: String) -> Bool { value == "runtime/default" || value == "docker/default" || value.hasPrefix("localhost/") }
                var forbidden = Set<String>()
                let podKey = "seccomp.security.alpha.kubernetes.io/pod"
                if let value = pod.annotations[podKey], !valid(value) { forbidden.insert("\(podKey)=\(GoQuote.quote(value))") }
                for c in pod.containers {
                    let key = "container.seccomp.security.alpha.kubernetes.io/" + c.name
                    if let value = pod.annotations[key], !valid(value) { forbidden.insert("\(key)=\(GoQuote.quote(value))") }
                }
                guard !forbidden.isEmpty else { return nil }
                return ("seccompProfile", "forbidden \(pluralize("annotation", "annotations", forbidden.count)) \(forbidden.sorted().joined(separator: ", "))")
            }
            return seccompFields(pod, requireSet: false)
        },
        PodSecurityCheck(id: "sysctls", level: .baseline, minimumMinor: 0) { pod, minor in
            var allowed: Set<String> = [
                "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
                "net.ipv4.ip_unprivileged_port_start",
            ]
            if minor >= 27 { allowed.insert("net.ipv4.ip_local_reserved_ports") }
            if minor >= 29 { allowed.formUnion(["net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"]) }
            if minor >= 32 { allowed.formUnion(["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]) }
            let forbidden = (pod.podContext?["sysctls"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }.filter { !allowed.contains($0) }
            return forbidden.isEmpty ? nil : ("forbidden sysctls", forbidden.joined(separator: ", "))
        },
        PodSecurityCheck(id: "windowsHostProcess", level: .baseline, minimumMinor: 0) { pod, _ in
            var setters: [String] = []
            if pod.podContext?[path: "windowsOptions", "hostProcess"]?.boolValue == true { setters.append("pod") }
            let containers = pod.containerNames { $0.context?[path: "windowsOptions", "hostProcess"]?.boolValue == true }
            if !containers.isEmpty { setters.append(pluralize("container", "containers", containers.count) + " " + joinQuote(containers)) }
            guard !setters.isEmpty else { return nil }
            return ("hostProcess", "\(setters.joined(separator: " and ")) must not set securityContext.windowsOptions.hostProcess=true")
        },

        // MARK: restricted
        PodSecurityCheck(id: "allowPrivilegeEscalation", level: .restricted, minimumMinor: 8) { pod, minor in
            if minor >= 25, pod.isWindows { return nil }
            let containers = pod.containerNames { $0.context?["allowPrivilegeEscalation"]?.boolValue != false }
            guard !containers.isEmpty else { return nil }
            return ("allowPrivilegeEscalation != false",
                    "\(pluralize("container", "containers", containers.count)) \(joinQuote(containers)) must set securityContext.allowPrivilegeEscalation=false")
        },
        PodSecurityCheck(id: "capabilities_restricted", level: .restricted, minimumMinor: 22, overrides: ["capabilities_baseline"]) { pod, minor in
            if minor >= 25, pod.isWindows { return nil }
            var forbidden = Set<String>()
            let missingDropAll = pod.containerNames { c in
                guard let capabilities = c.context?["capabilities"], capabilities != .null else { return true }
                return !(capabilities["drop"]?.arrayValue ?? []).contains("ALL")
            }
            let adding = pod.containerNames { c in
                let bad = c.capabilitiesAdd.filter { $0 != "NET_BIND_SERVICE" }
                forbidden.formUnion(bad)
                return !bad.isEmpty
            }
            var details: [String] = []
            if !missingDropAll.isEmpty {
                details.append("\(pluralize("container", "containers", missingDropAll.count)) \(joinQuote(missingDropAll)) must set securityContext.capabilities.drop=[\"ALL\"]")
            }
            if !adding.isEmpty {
                details.append("\(pluralize("container", "containers", adding.count)) \(joinQuote(adding)) must not include \(joinQuote(forbidden.sorted())) in securityContext.capabilities.add")
            }
            return details.isEmpty ? nil : ("unrestricted capabilities", details.joined(separator: "; "))
        },
        PodSecurityCheck(id: "restrictedVolumes", level: .restricted, minimumMinor: 0, overrides: ["hostPathVolumes"]) { pod, _ in
            let allowed = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]
            let restricted = [
                "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs", "rbd", "flexVolume", "cinder",
                "cephfs", "flocker", "fc", "azureFile", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume",
                "scaleIO", "storageos",
            ]
            var names: [String] = [], types = Set<String>()
            for volume in pod.volumes {
                func has(_ key: String) -> Bool { volume[key].map { $0 != .null } ?? false }
                if allowed.contains(where: has) { continue }
                names.append(volume["name"]?.stringValue ?? "")
                types.insert(restricted.first(where: has) ?? "unknown")
            }
            guard !names.isEmpty else { return nil }
            return ("restricted volume types", [
                pluralize("volume", "volumes", names.count), joinQuote(names), pluralize("uses", "use", names.count),
                pluralize("restricted volume type", "restricted volume types", types.count), joinQuote(types.sorted()),
            ].joined(separator: " "))
        },
        PodSecurityCheck(id: "runAsNonRoot", level: .restricted, minimumMinor: 0) { pod, _ in
            var setters: [String] = []
            var podNonRoot = false
            if let value = pod.podContext?["runAsNonRoot"]?.boolValue {
                if value { podNonRoot = true } else { setters.append("pod") }
            }
            let explicit = pod.containerNames { $0.context?["runAsNonRoot"]?.boolValue == false }
            let implicit = pod.containerNames { $0.context?["runAsNonRoot"]?.boolValue == nil && !podNonRoot }
            if !explicit.isEmpty { setters.append(pluralize("container", "containers", explicit.count) + " " + joinQuote(explicit)) }
            if !setters.isEmpty {
                return ("runAsNonRoot != true", "\(setters.joined(separator: " and ")) must not set securityContext.runAsNonRoot=false")
            }
            guard !implicit.isEmpty else { return nil }
            return ("runAsNonRoot != true",
                    "pod or \(pluralize("container", "containers", implicit.count)) \(joinQuote(implicit)) must set securityContext.runAsNonRoot=true")
        },
        PodSecurityCheck(id: "runAsUser", level: .restricted, minimumMinor: 23) { pod, _ in
            var setters: [String] = []
            if pod.podContext?["runAsUser"]?.intValue == 0 { setters.append("pod") }
            let containers = pod.containerNames { $0.context?["runAsUser"]?.intValue == 0 }
            if !containers.isEmpty { setters.append(pluralize("container", "containers", containers.count) + " " + joinQuote(containers)) }
            return setters.isEmpty ? nil : ("runAsUser=0", "\(setters.joined(separator: " and ")) must not set runAsUser=0")
        },
        PodSecurityCheck(id: "seccompProfile_restricted", level: .restricted, minimumMinor: 19, overrides: ["seccompProfile_baseline"]) { pod, minor in
            if minor >= 25, pod.isWindows { return nil }
            return seccompFields(pod, requireSet: true)
        },
    ]

    /// `seccompProfileBaseline_1_19` (requireSet false) and `seccompProfileRestricted_1_19` (true): only
    /// RuntimeDefault and Localhost, and at the restricted level the pod or every container must set one.
    static func seccompFields(_ pod: PodSecurityInput, requireSet: Bool) -> Failure? {
        func valid(_ profile: JSONValue) -> Bool { ["RuntimeDefault", "Localhost"].contains(profile["type"]?.stringValue ?? "") }
        var setters: [String] = [], values = Set<String>(), podSet = false
        if let profile = pod.podContext?["seccompProfile"], profile != .null {
            if valid(profile) { podSet = true } else { setters.append("pod"); values.insert(profile["type"]?.stringValue ?? "") }
        }
        let explicit = pod.containerNames { c in
            guard let profile = c.context?["seccompProfile"], profile != .null, !valid(profile) else { return false }
            values.insert(profile["type"]?.stringValue ?? "")
            return true
        }
        let implicit = pod.containerNames { ($0.context?["seccompProfile"].map { $0 == .null } ?? true) && !podSet }
        if !explicit.isEmpty { setters.append(pluralize("container", "containers", explicit.count) + " " + joinQuote(explicit)) }
        if !setters.isEmpty {
            return ("seccompProfile", "\(setters.joined(separator: " and ")) must not set securityContext.seccompProfile.type to \(joinQuote(values.sorted()))")
        }
        guard requireSet, !implicit.isEmpty else { return nil }
        return ("seccompProfile",
                "pod or \(pluralize("container", "containers", implicit.count)) \(joinQuote(implicit)) must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"")
    }

    /// The checks a level and version run, in `registry.go` order: a restricted check active at this
    /// version replaces the baseline checks it overrides.
    static func checks(for level: PodSecurityPolicy.Level, minor: Int) -> [PodSecurityCheck] {
        guard level != .privileged else { return [] }
        let active = all.filter { $0.minimumMinor <= minor }
        let baseline = active.filter { $0.level == .baseline }.sorted { $0.id < $1.id }
        guard level == .restricted else { return baseline }
        let restricted = active.filter { $0.level == .restricted }.sorted { $0.id < $1.id }
        let overridden = Set(restricted.flatMap(\.overrides))
        return baseline.filter { !overridden.contains($0.id) } + restricted
    }

    /// `AggregateCheckResults(...).ForbiddenDetail()`: `reason (detail)` for each failing check, joined by
    /// `, `; nil when the pod passes.
    static func forbiddenDetail(_ pod: PodSecurityInput, _ policy: PodSecurityPolicy.LevelVersion) -> String? {
        let minor = min(policy.version.minor ?? newestMinor, newestMinor)
        let failures = checks(for: policy.level, minor: minor).compactMap { $0.evaluate(pod, minor) }
        guard !failures.isEmpty else { return nil }
        return failures.map { $0.detail.isEmpty ? $0.reason : "\($0.reason) (\($0.detail))" }.joined(separator: ", ")
    }
}

/// A pod as the checks see it: metadata and spec, and its containers in `visitContainers` order
/// (init containers, containers, ephemeral containers).
struct PodSecurityInput: Sendable {
    struct Container: Sendable {
        var json: JSONValue
        var name: String { json["name"]?.stringValue ?? "" }
        var context: JSONValue? { json["securityContext"].flatMap { $0 == .null ? nil : $0 } }
        var capabilitiesAdd: [String] { (context?[path: "capabilities", "add"]?.arrayValue ?? []).compactMap(\.stringValue) }
    }

    var metadata: JSONValue
    var spec: JSONValue

    init(metadata: JSONValue?, spec: JSONValue?) {
        self.metadata = metadata ?? [:]
        self.spec = spec ?? [:]
    }

    var containers: [Container] {
        ["initContainers", "containers", "ephemeralContainers"].flatMap { (spec[$0]?.arrayValue ?? []).map(Container.init) }
    }
    var volumes: [JSONValue] { spec["volumes"]?.arrayValue ?? [] }
    var podContext: JSONValue? { spec["securityContext"].flatMap { $0 == .null ? nil : $0 } }
    var annotations: [String: String] { (metadata["annotations"]?.objectValue ?? [:]).compactMapValues(\.stringValue) }
    var isWindows: Bool { spec[path: "os", "name"]?.stringValue == "windows" }

    /// Names of the containers for which `bad` holds, in visiting order.
    func containerNames(where bad: (Container) -> Bool) -> [String] { containers.filter(bad).map(\.name) }
}

/// `helpers.go pluralize`.
func pluralize(_ singular: String, _ plural: String, _ count: Int) -> String { count == 1 ? singular : plural }
/// `helpers.go joinQuote`: `"a", "b"` (no escaping).
func joinQuote(_ items: [String]) -> String { items.isEmpty ? "" : "\"" + items.joined(separator: "\", \"") + "\"" }
