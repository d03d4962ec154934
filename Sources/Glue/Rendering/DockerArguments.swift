import Foundation

/// What a task's docker arguments (`container.arguments`) mean for its pod. Kubernetes is not docker:
/// environment, shared memory, GPUs and (allowed) host mounts translate; privileges never do; anything
/// else is reported back to the task's console instead of being silently dropped.
public struct DockerArguments: Sendable, Equatable {
    public struct HostMount: Sendable, Equatable {
        public var hostPath: String
        public var containerPath: String
        public var readOnly: Bool
    }

    public struct Refusal: Sendable, Equatable, CustomStringConvertible {
        public var argument: String
        public var reason: String
        /// A task's console line: a megabyte-long argument is cut, not echoed whole.
        public var description: String {
            "docker argument '\(argument.count > 200 ? String(argument.prefix(200)) + "…" : argument)' ignored: \(reason)"
        }
    }

    public var environment: [(name: String, value: String)] = []
    /// Kubernetes quantity for /dev/shm (`--shm-size 8g` -> `8Gi`).
    public var sharedMemory: String?
    /// `--gpus N`; `all` asks for every GPU the queue is configured with, so it stays nil here.
    public var gpus: Int?
    public var gpusAll = false
    public var hostMounts: [HostMount] = []
    public var refused: [Refusal] = []

    public static func == (lhs: DockerArguments, rhs: DockerArguments) -> Bool {
        lhs.environment.elementsEqual(rhs.environment) { $0.name == $1.name && $0.value == $1.value }
            && lhs.sharedMemory == rhs.sharedMemory && lhs.gpus == rhs.gpus && lhs.gpusAll == rhs.gpusAll
            && lhs.hostMounts == rhs.hostMounts && lhs.refused == rhs.refused
    }

    /// Flags that escalate privileges or reach into the node: refused whatever the filters say.
    static let privileged: Set<String> = [
        "--privileged", "--cap-add", "--security-opt", "--device", "--network", "--net", "--ipc", "--pid",
        "--uts", "--userns", "--user", "-u", "--cgroupns", "--volumes-from",
    ]
    /// Flags that only make sense for `docker run` itself.
    static let meaningless: Set<String> = ["--rm", "-i", "-t", "-it", "-ti", "--init", "-d", "--detach", "--interactive", "--tty"]
    static let takesValue: Set<String> = [
        "-e", "--env", "--shm-size", "--gpus", "-v", "--volume", "--mount", "--cap-add", "--security-opt",
        "--device", "--network", "--net", "--ipc", "--pid", "--uts", "--userns", "--user", "-u", "--cgroupns",
        "--volumes-from", "--name", "--label", "-l", "--entrypoint", "-w", "--workdir", "--memory", "-m", "--cpus",
        "--env-file", "--add-host", "--hostname", "-h", "--restart", "--ulimit", "--log-driver", "--log-opt", "-p", "--publish",
    ]

    /// - Parameters:
    ///   - tokens: the arguments, already split into shell words.
    ///   - filters: `CLEARML_AGENT_DOCKER_ARGS_FILTERS` regexes; when given, a flag must match one of them.
    ///   - allowedHostPaths: host folders a task may mount (and their subfolders); none by default.
    public init(_ tokens: [String], filters: [String] = [], allowedHostPaths: [String] = []) {
        let compiled = filters.compactMap { try? NSRegularExpression(pattern: $0) }
        var index = 0
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            var flag = token
            var value: String?
            if token.hasPrefix("--"), let equals = token.firstIndex(of: "=") {
                flag = String(token[..<equals])
                value = String(token[token.index(after: equals)...])
            } else if Self.takesValue.contains(token), index < tokens.count {
                value = tokens[index]
                index += 1
            } else if token.hasPrefix("--"), index < tokens.count, !tokens[index].hasPrefix("-") {
                value = tokens[index]  // an unknown `--flag value`: report them together
                index += 1
            }
            let shown = value.map { "\(flag) \($0)" } ?? flag
            if Self.privileged.contains(flag) {
                refused.append(Refusal(argument: shown, reason: "privileges and host namespaces are not granted to task pods"))
                continue
            }
            if !compiled.isEmpty, !compiled.contains(where: { $0.firstMatch(in: flag, range: NSRange(flag.startIndex..., in: flag)) != nil }) {
                refused.append(Refusal(argument: shown, reason: "not allowed by CLEARML_AGENT_DOCKER_ARGS_FILTERS"))
                continue
            }
            switch flag {
            case "-e", "--env":
                guard let value, let equals = value.firstIndex(of: "="), equals != value.startIndex else {
                    refused.append(Refusal(argument: shown, reason: "environment variables need NAME=VALUE (a pod cannot inherit the host's)"))
                    continue
                }
                let name = String(value[..<equals])
                guard Self.isPortableEnvironmentName(name) else {
                    refused.append(Refusal(argument: shown, reason: "environment variable names are letters, digits, '_', '-' and '.', not starting with a digit (what every Kubernetes version accepts)"))
                    continue
                }
                environment.append((name, String(value[value.index(after: equals)...])))
            case "--shm-size":
                if let value, let quantity = Self.quantity(fromDockerSize: value) { sharedMemory = quantity } else {
                    refused.append(Refusal(argument: shown, reason: "size not understood (use e.g. 8g, 512m or 1.5g)"))
                }
            case "--gpus":
                switch Self.gpuCount(value ?? "") {
                case .some(.all): gpusAll = true
                case .some(.count(let n)): gpus = n
                case nil: refused.append(Refusal(argument: shown, reason: "GPU request not understood (use a number, all, or device=0,1)"))
                }
            case "-v", "--volume":
                addMount(value ?? "", shown: shown, allowed: allowedHostPaths)
            case _ where Self.meaningless.contains(flag):
                refused.append(Refusal(argument: shown, reason: "has no meaning for a Kubernetes pod"))
            default:
                refused.append(Refusal(argument: shown, reason: "not supported in Kubernetes (supported: -e/--env, --shm-size, --gpus, -v for allowed host paths)"))
            }
        }
    }

    private mutating func addMount(_ spec: String, shown: String, allowed: [String]) {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts[0].hasPrefix("/"), parts[1].hasPrefix("/") else {
            refused.append(Refusal(argument: shown, reason: "only host-path mounts host:container[:ro] are supported"))
            return
        }
        // The API server refuses a hostPath with `..` in it (validatePathNoBacksteps), and a container
        // path that climbs out is never what a task meant: both are refused before anything is resolved.
        if parts[0...1].contains(where: { $0.split(separator: "/").contains("..") }) {
            refused.append(Refusal(argument: shown, reason: "paths with '..' are not accepted (\(parts[0]):\(parts[1])); give the absolute paths"))
            return
        }
        let target = (parts[1] as NSString).standardizingPath
        if Self.reservedMountPaths.contains(where: { target == $0 || target.hasPrefix($0 + "/") }) {
            refused.append(Refusal(argument: shown, reason: "\(target) is where the glue mounts its own volumes"))
            return
        }
        let host = (parts[0] as NSString).standardizingPath
        guard allowed.contains(where: { root in
            let root = (root as NSString).standardizingPath
            return host == root || host.hasPrefix(root.hasSuffix("/") ? root : root + "/")
        }) else {
            refused.append(Refusal(argument: shown, reason: "host path \(host) is not in the glue's allowed host paths"))
            return
        }
        hostMounts.append(HostMount(hostPath: host, containerPath: target, readOnly: parts.count > 2 && parts[2].split(separator: ",").contains("ro")))
    }

    enum GPURequest: Equatable { case all, count(Int) }

    static func gpuCount(_ value: String) -> GPURequest? {
        let text = value.trimmingCharacters(in: CharacterSet(charactersIn: "\"' "))
        if text == "all" { return .all }
        if let n = Int(text), n >= 0 { return .count(n) }
        if text.hasPrefix("device=") {
            let devices = text.dropFirst("device=".count).split(separator: ",").filter { !$0.isEmpty }
            return devices.isEmpty ? nil : .count(devices.count)
        }
        return nil
    }

    /// Folders the pod spec already mounts: the agent's volume and shared memory.
    static let reservedMountPaths = ["/clearml-agent", "/dev/shm"]

    /// Kubernetes before 1.32 accepts only these names (apimachinery `IsEnvVarName`); later versions
    /// relax the rule, so a pod with these names is valid everywhere.
    static func isPortableEnvironmentName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-._".unicodeScalars.contains($0)) }
    }

    /// Docker sizes (go-units `RAMInBytes`: a decimal number, an optional space, a binary unit k/m/g/t/p,
    /// optional `i` and `b`, any case) as a Kubernetes quantity: `8g` -> `8Gi`, `1.5g` -> `1536Mi`. Nil
    /// for anything else, for zero, and for sizes beyond 2^62 bytes.
    static func quantity(fromDockerSize text: String) -> String? {
        let pattern = #"^([0-9]+(?:\.[0-9]+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$"#
        guard text.utf8.count <= 64, let match = text.range(of: pattern, options: .regularExpression), match == text.startIndex..<text.endIndex else { return nil }
        var digits = text.prefix { $0.isNumber || $0 == "." }
        let rest = text.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let exponent = ["k": 1, "m": 2, "g": 3, "t": 4, "p": 5][rest.first.map(String.init) ?? ""] ?? 0
        // Exact arithmetic in bytes: the fraction is scaled by the unit before anything is rounded down.
        var fraction = ""
        if let dot = digits.firstIndex(of: ".") {
            fraction = String(digits[digits.index(after: dot)...])
            digits = digits[..<dot]
        }
        guard digits.count <= 19, let whole = Int64(digits) else { return nil }
        let units = ["", "Ki", "Mi", "Gi", "Ti", "Pi"]
        if fraction.isEmpty {
            // Kept in the unit it was written in (`8g` -> `8Gi`), within the same bound.
            guard whole > 0, whole <= (Int64(1) << 62) >> (10 * exponent) else { return nil }
            return "\(whole)\(units[exponent])"
        }
        var bytes = Decimal(whole)
        if !fraction.isEmpty, let part = Decimal(string: "0." + fraction) { bytes += part }
        for _ in 0..<exponent { bytes *= 1024 }
        var rounded = Decimal()
        NSDecimalRound(&rounded, &bytes, 0, .down)
        guard rounded > 0, rounded <= Decimal(Int64(1) << 62) else { return nil }
        let count = NSDecimalNumber(decimal: rounded).int64Value
        for (unit, size) in [("Pi", Int64(1) << 50), ("Ti", Int64(1) << 40), ("Gi", Int64(1) << 30), ("Mi", Int64(1) << 20), ("Ki", Int64(1) << 10)] where count % size == 0 {
            return "\(count / size)\(unit)"
        }
        return "\(count)"
    }
}
