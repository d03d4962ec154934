import JSONValue
import Foundation
import KubeAPI

/// A container turned into a local process invocation. Volume mount paths are mapped to sandbox
/// folders: every occurrence of a mount path at the start of a command word, argument, env value or
/// the working dir is rewritten, so `/data/x` in a manifest reads and writes `<sandbox>/volumes/<vol>/x`.
/// A container whose image has a root (`--image-root`) is not rewritten: it runs inside that root with
/// its volumes at their mount paths (`rootfs`).
struct ContainerPlan: Sendable {
    var name: String
    var arguments: [String]
    var environment: [String: String]
    var workingDirectory: String
    var image: String
    /// Where the container's `terminationMessagePath` lands in the sandbox, and the policy for it.
    var terminationMessageFile: String
    var fallbackToLogsOnError: Bool
    /// Set when the container runs inside its image's root; `arguments` are then the container's own
    /// command, and `workingDirectory` only where the launching shell starts.
    var rootfs: ImageRootLaunch?

    /// Where a container with an image root runs: the root, this run's layer folder, and its identity
    /// (whose passwd entry in the image gives HOME).
    struct ImageRootSetting: Sendable {
        var root: String
        var layer: String
        var security: ContainerSecurity
    }

    /// A reason/message pair the kubelet would put in `waiting` (CreateContainerConfigError...).
    struct ConfigError: Error {
        var reason: String
        var message: String
    }

    static func make(
        container: JSONValue, pod: JSONValue, sandbox: PodSandbox, store: ObjectStore, imageRoot: ImageRootSetting? = nil
    ) async throws(ConfigError) -> ContainerPlan {
        let name = container["name"]?.stringValue ?? ""
        let namespace = pod[path: "metadata", "namespace"]?.stringValue ?? "default"
        var mounts: [(path: String, target: String, readOnly: Bool)] = []
        for mount in container["volumeMounts"]?.arrayValue ?? [] {
            guard let volume = mount["name"]?.stringValue, let path = mount["mountPath"]?.stringValue else { continue }
            var target = sandbox.volumePath(volume)
            if let sub = mount["subPath"]?.stringValue, !sub.isEmpty { target += "/" + sub }
            try? FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            // A new subPath folder takes the volume's mode, as the kubelet makes it (kubelet_pods.go makeMounts).
            if target != sandbox.volumePath(volume), let mode = (try? FileManager.default.attributesOfItem(atPath: sandbox.volumePath(volume)))?[.posixPermissions] as? Int {
                chmod(target, mode_t(mode))
            }
            mounts.append((path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path, target, mount["readOnly"]?.boolValue ?? false))
        }
        // The termination message file, as the kubelet bind-mounts it (default /dev/termination-log).
        let terminationPath = container["terminationMessagePath"]?.stringValue ?? "/dev/termination-log"
        let terminationFile = sandbox.terminationMessagePath(container: name)
        try? FileManager.default.createDirectory(atPath: (terminationFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: terminationFile, contents: Data())
        mounts.append((terminationPath, terminationFile, false))
        // Longest mount first, so /data/cache wins over /data.
        mounts.sort { $0.path.count > $1.path.count }
        func map(_ text: String) -> String {
            // Inside its image root a path means what it says.
            if imageRoot != nil { return text }
            for mount in mounts {
                if text == mount.path { return mount.target }
                if text.hasPrefix(mount.path + "/") { return mount.target + text.dropFirst(mount.path.count) }
                // Inside a shell script: rewrite every occurrence preceded by a separator.
                if text.contains(mount.path) {
                    var result = text
                    for separator in [" ", "=", "\"", "'", ":", "\n", ";", "(", ">", "<"] {
                        result = result.replacingOccurrences(of: separator + mount.path, with: separator + mount.target)
                    }
                    if result != text { return result }
                }
            }
            return text
        }

        var environment: [String: String] = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
            "HOME": sandbox.home(container: name), "HOSTNAME": pod[path: "metadata", "name"]?.stringValue ?? "",
            "KUBERNETES_SERVICE_HOST": "127.0.0.1", "LANG": "C.UTF-8",
        ]
        if let imageRoot {
            // What a runtime gives a process in an image that sets no ENV: containerd's default PATH, HOME
            // from the user's passwd entry in the image (runc), and no locale.
            environment = [
                "PATH": ImageRootLaunch.defaultPath, "HOSTNAME": pod[path: "metadata", "name"]?.stringValue ?? "",
                "HOME": ImageRootLaunch.passwdEntry(uid: imageRoot.security.uid, root: imageRoot.root)?.home ?? "/",
            ]
        }
        // The `kubernetes` Service's variables, and where the service-account volume really is (ServiceEnvironment).
        environment.merge(await ServiceEnvironment.variables(store: store)) { _, service in service }
        if imageRoot == nil, let account = mounts.first(where: { $0.path == ServiceAccountAdmission.mountPath }) {
            environment[ServiceEnvironment.serviceAccountDirectoryVariable] = account.target
        }
        for source in container["envFrom"]?.arrayValue ?? [] {
            let prefix = source["prefix"]?.stringValue ?? ""
            if let ref = source["configMapRef"] {
                let data = try await lookup(.configMaps, ref, namespace: namespace, store: store, key: nil)
                for (k, v) in data { environment[prefix + k] = v }
            }
            if let ref = source["secretRef"] {
                let data = try await lookup(.secrets, ref, namespace: namespace, store: store, key: nil)
                for (k, v) in data { environment[prefix + k] = v }
            }
        }
        for variable in container["env"]?.arrayValue ?? [] {
            guard let key = variable["name"]?.stringValue else { continue }
            if let value = variable["value"]?.stringValue {
                environment[key] = map(expand(value, environment))
            } else if let from = variable["valueFrom"] {
                if let ref = from["secretKeyRef"] {
                    if let value = try await lookup(.secrets, ref, namespace: namespace, store: store, key: ref["key"]?.stringValue).first?.value {
                        environment[key] = value
                    }
                } else if let ref = from["configMapKeyRef"] {
                    if let value = try await lookup(.configMaps, ref, namespace: namespace, store: store, key: ref["key"]?.stringValue).first?.value {
                        environment[key] = value
                    }
                } else if let path = from[path: "fieldRef", "fieldPath"]?.stringValue {
                    environment[key] = fieldValue(path, pod: pod)
                } else {
                    environment[key] = ""
                }
            } else {
                environment[key] = ""
            }
        }
        let command = (container["command"]?.arrayValue ?? []).compactMap(\.stringValue)
        let args = (container["args"]?.arrayValue ?? []).compactMap(\.stringValue)
        let image = container["image"]?.stringValue ?? ""
        guard !command.isEmpty else {
            throw ConfigError(
                reason: "CreateContainerError",
                message: "devcluster runs containers as local processes and cannot know the entrypoint of image \"\(image)\": set 'command' in container \"\(name)\"")
        }
        var workingDirectory = sandbox.root
        let final = (command + args).map { map(expand($0, environment)) }
        let fallback = container["terminationMessagePolicy"]?.stringValue == "FallbackToLogsOnError"
        if let imageRoot {
            let rootfs = ImageRootLaunch(
                root: imageRoot.root, layer: imageRoot.layer, mounts: mounts.map { ($0.path, $0.target, $0.readOnly) },
                workingDirectory: container["workingDir"]?.stringValue, readOnlyRootFilesystem: imageRoot.security.readOnlyRootFilesystem)
            return ContainerPlan(name: name, arguments: final, environment: environment, workingDirectory: workingDirectory, image: image,
                                 terminationMessageFile: terminationFile, fallbackToLogsOnError: fallback, rootfs: rootfs)
        }
        if let dir = container["workingDir"]?.stringValue, !dir.isEmpty {
            let mapped = map(dir)
            workingDirectory = mapped != dir ? mapped : sandbox.rootfs(container: name) + (dir.hasPrefix("/") ? dir : "/" + dir)
            try? FileManager.default.createDirectory(atPath: workingDirectory, withIntermediateDirectories: true)
        }
        return ContainerPlan(name: name, arguments: final, environment: environment, workingDirectory: workingDirectory, image: image,
                             terminationMessageFile: terminationFile, fallbackToLogsOnError: fallback)
    }

    /// `$(VAR)` references, as the kubelet expands them in env values, command and args; `$$` escapes.
    static func expand(_ text: String, _ environment: [String: String]) -> String {
        guard text.contains("$(") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "$(") {
            if start.lowerBound > rest.startIndex, rest[rest.index(before: start.lowerBound)] == "$" {
                result += rest[..<rest.index(before: start.lowerBound)] + "$("
                rest = rest[start.upperBound...]
                continue
            }
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: ")") else { break }
            let name = String(rest[start.upperBound..<end])
            result += environment[name] ?? "$(\(name))"
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }

    static func fieldValue(_ path: String, pod: JSONValue) -> String {
        if path.hasPrefix("metadata.labels['"), path.hasSuffix("']") {
            let key = String(path.dropFirst("metadata.labels['".count).dropLast(2))
            return pod[path: "metadata", "labels", key]?.stringValue ?? ""
        }
        if path.hasPrefix("metadata.annotations['"), path.hasSuffix("']") {
            let key = String(path.dropFirst("metadata.annotations['".count).dropLast(2))
            return pod[path: "metadata", "annotations", key]?.stringValue ?? ""
        }
        var value: JSONValue? = pod
        for part in path.split(separator: ".") { value = value?[String(part)] }
        return value?.stringValue ?? ""
    }

    /// Reads a Secret (base64 `data` decoded) or ConfigMap; `key` nil returns all keys.
    static func lookup(_ resource: ResourceType, _ ref: JSONValue, namespace: String, store: ObjectStore, key: String?) async throws(ConfigError) -> [String: String] {
        let name = ref["name"]?.stringValue ?? ""
        let optional = ref["optional"]?.boolValue ?? false
        let kind = resource == .secrets ? "secret" : "configmap"
        guard let object = await store.get(resource, namespace: namespace, name: name) else {
            if optional { return [:] }
            throw ConfigError(reason: "CreateContainerConfigError", message: "\(kind) \"\(name)\" not found")
        }
        var values: [String: String] = [:]
        for (k, v) in object["data"]?.objectValue ?? [:] {
            guard let text = v.stringValue else { continue }
            values[k] = resource == .secrets ? Data(base64Encoded: text).map { String(decoding: $0, as: UTF8.self) } ?? text : text
        }
        for (k, v) in object["stringData"]?.objectValue ?? [:] { values[k] = v.stringValue }
        guard let key else { return values }
        guard let value = values[key] else {
            if optional { return [:] }
            throw ConfigError(reason: "CreateContainerConfigError", message: "couldn't find key \(key) in \(resource == .secrets ? "Secret" : "ConfigMap") \(namespace)/\(name)")
        }
        return [key: value]
    }
}
