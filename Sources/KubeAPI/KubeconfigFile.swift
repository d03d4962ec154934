import JSONValue
import Foundation
import HTTPClient
import Yams

/// Reads and merges kubeconfig files the way kubectl does: for named clusters, users and contexts the
/// first file defining a name wins, and so does the first non-empty `current-context`.
enum KubeconfigFile {
    struct Named {
        var value: JSONValue
        /// Directory of the file that defined it: relative paths inside resolve against it.
        var directory: String
    }

    static func resolve(paths: [String], context requested: String?, mustExist: Bool) throws -> KubeConfiguration {
        var clusters: [String: Named] = [:]
        var users: [String: Named] = [:]
        var contexts: [String: Named] = [:]
        var current: String?
        for path in paths {
            let expanded = (path as NSString).expandingTildeInPath
            guard FileManager.default.fileExists(atPath: expanded) else {
                if mustExist { throw KubeConfigError("kubeconfig '\(path)' does not exist") }
                continue
            }
            let text: String
            guard let data = FileManager.default.contents(atPath: expanded) else {
                throw KubeConfigError("kubeconfig '\(path)' is not readable; check its permissions")
            }
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw KubeConfigError("kubeconfig '\(path)' is not UTF-8 text; save it as UTF-8 (kubectl writes it so)")
            }
            text = decoded
            if text.allSatisfy(\.isWhitespace) {
                if mustExist { throw KubeConfigError("kubeconfig '\(path)' is empty; pass the file kubectl uses, e.g. ~/.kube/config") }
                continue  // kubectl skips an empty file in a KUBECONFIG list
            }
            let document: JSONValue
            do { document = try YAMLDecoder().decode(JSONValue.self, from: text) } catch {
                throw KubeConfigError("kubeconfig '\(path)' is not valid YAML: \(error)")
            }
            if document.objectValue == nil || (document["kind"]?.stringValue).map({ $0 != "Config" }) == true {
                throw KubeConfigError("kubeconfig '\(path)' is not a kubeconfig (expected a mapping with kind: Config, clusters, users and contexts); pass the file kubectl uses, e.g. ~/.kube/config")
            }
            let directory = (expanded as NSString).deletingLastPathComponent
            func collect(_ key: String, _ inner: String, into table: inout [String: Named]) {
                for entry in document[key]?.arrayValue ?? [] {
                    guard let name = entry["name"]?.stringValue, table[name] == nil else { continue }
                    table[name] = Named(value: entry[inner] ?? .object([:]), directory: directory)
                }
            }
            collect("clusters", "cluster", into: &clusters)
            collect("users", "user", into: &users)
            collect("contexts", "context", into: &contexts)
            if current == nil, let value = document["current-context"]?.stringValue, !value.isEmpty { current = value }
        }
        guard let contextName = requested ?? current else {
            throw KubeConfigError("kubeconfig \(paths.joined(separator: ":")): no current-context set and no --context given")
        }
        guard let context = contexts[contextName] else {
            throw KubeConfigError("kubeconfig: context '\(contextName)' not found (known: \(contexts.keys.sorted().joined(separator: ", ")))")
        }
        guard let clusterName = context.value["cluster"]?.stringValue, let cluster = clusters[clusterName] else {
            let name = context.value["cluster"]?.stringValue ?? ""
            throw KubeConfigError("kubeconfig: context '\(contextName)' field 'cluster': cluster '\(name)' not found")
        }
        let userName = context.value["user"]?.stringValue
        var user: Named?
        if let userName, !userName.isEmpty {
            guard let found = users[userName] else {
                throw KubeConfigError("kubeconfig: context '\(contextName)' field 'user': user '\(userName)' not found")
            }
            user = found
        }
        return try build(
            cluster: cluster, clusterName: clusterName, user: user, context: context, contextName: contextName,
            source: "kubeconfig \(paths.joined(separator: ":")) context \(contextName)")
    }

    static func absolute(_ path: String, in directory: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        return expanded.hasPrefix("/") ? expanded : directory + "/" + expanded
    }

    static func pem(_ object: JSONValue, data dataKey: String, file fileKey: String, directory: String, role: String) throws -> PEMSource? {
        if let base64 = object[dataKey]?.stringValue, !base64.isEmpty {
            guard let data = Data(base64Encoded: base64, options: .ignoreUnknownCharacters) else {
                throw KubeConfigError("kubeconfig field '\(dataKey)' (\(role)) is not valid base64")
            }
            return .bytes(data)
        }
        if let path = object[fileKey]?.stringValue, !path.isEmpty {
            let full = absolute(path, in: directory)
            guard FileManager.default.isReadableFile(atPath: full) else {
                throw KubeConfigError("kubeconfig field '\(fileKey)': \(role) file '\(full)' is not readable")
            }
            return .file(full)
        }
        return nil
    }

    static func build(
        cluster: Named, clusterName: String, user: Named?, context: Named, contextName: String, source: String
    ) throws -> KubeConfiguration {
        let c = cluster.value
        guard let server = c["server"]?.stringValue, !server.isEmpty else {
            throw KubeConfigError("kubeconfig: cluster '\(clusterName)' field 'server' is missing")
        }
        // Caught here rather than as an obscure transport error on the first request.
        for (field, value, schemes) in [("server", server, ["https", "http"]), ("proxy-url", c["proxy-url"]?.stringValue, ["http", "https", "socks5"])] {
            guard let value else { continue }
            let shown = value.count > 200 ? String(value.prefix(200)) + "…" : value
            guard value.count <= 2048, let url = URLComponents(string: value), let scheme = url.scheme?.lowercased(), schemes.contains(scheme),
                  let host = url.host, !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:_[]%".contains($0)) }) else {
                throw KubeConfigError("kubeconfig: cluster '\(clusterName)' field '\(field)' is '\(shown)', not a URL; write \(schemes[0])://host:port")
            }
        }
        let insecure = c["insecure-skip-tls-verify"]?.boolValue ?? false
        let ca = try pem(c, data: "certificate-authority-data", file: "certificate-authority", directory: cluster.directory, role: "CA certificate")
        var tls = TLSConfiguration(certificateAuthority: ca, trustSystemRoots: ca == nil, insecureSkipVerify: insecure)
        var credentials = KubeCredentials.none
        if let user {
            let u = user.value
            let cert = try pem(u, data: "client-certificate-data", file: "client-certificate", directory: user.directory, role: "client certificate")
            let key = try pem(u, data: "client-key-data", file: "client-key", directory: user.directory, role: "client key")
            if (cert == nil) != (key == nil) {
                throw KubeConfigError("kubeconfig: user '\(context.value["user"]?.stringValue ?? "")' needs both client-certificate and client-key")
            }
            tls.clientCertificate = cert
            tls.clientKey = key
            if let token = u["token"]?.stringValue, !token.isEmpty {
                credentials = .token(token)
            } else if let file = u["tokenFile"]?.stringValue, !file.isEmpty {
                credentials = .tokenFile(absolute(file, in: user.directory))
            } else if let exec = u["exec"], exec != .null {
                credentials = .exec(try ExecCredentialConfig(exec, directory: user.directory, server: server, caData: ca))
            } else if let name = u["username"]?.stringValue, let password = u["password"]?.stringValue {
                credentials = .basic(username: name, password: password)
            } else if u["auth-provider"] != nil {
                throw KubeConfigError("kubeconfig: user field 'auth-provider' is no longer supported by Kubernetes; use an exec plugin")
            }
        }
        let namespace = context.value["namespace"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        return KubeConfiguration(
            server: server.hasSuffix("/") ? String(server.dropLast()) : server,
            tls: tls, tlsServerName: c["tls-server-name"]?.stringValue, credentials: credentials,
            namespace: namespace, proxyURL: c["proxy-url"]?.stringValue, source: source)
    }
}
