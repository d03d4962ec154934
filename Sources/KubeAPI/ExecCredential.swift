import JSONValue
import Foundation
import HTTPClient

/// A `users[].user.exec` entry: a credential plugin such as `aws eks get-token`,
/// `gke-gcloud-auth-plugin` or `kubelogin`.
public struct ExecCredentialConfig: Sendable, Equatable {
    public var apiVersion: String
    public var command: String
    public var args: [String]
    public var env: [String: String]
    public var provideClusterInfo: Bool
    public var installHint: String?
    var server: String
    var caData: Data?

    init(_ exec: JSONValue, directory: String, server: String, caData: PEMSource?) throws {
        apiVersion = exec["apiVersion"]?.stringValue ?? ""
        let supported = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]
        guard supported.contains(apiVersion) else {
            throw KubeConfigError("kubeconfig: exec field 'apiVersion' is '\(apiVersion)'; supported: \(supported.joined(separator: ", "))")
        }
        guard let command = exec["command"]?.stringValue, !command.isEmpty else {
            throw KubeConfigError("kubeconfig: exec field 'command' is missing")
        }
        // As client-go: a relative path with a slash is relative to the kubeconfig; a bare name uses PATH.
        self.command = command.contains("/") ? KubeconfigFile.absolute(command, in: directory) : command
        args = (exec["args"]?.arrayValue ?? []).compactMap(\.stringValue)
        var env: [String: String] = [:]
        for entry in exec["env"]?.arrayValue ?? [] {
            if let name = entry["name"]?.stringValue { env[name] = entry["value"]?.stringValue ?? "" }
        }
        self.env = env
        provideClusterInfo = exec["provideClusterInfo"]?.boolValue ?? false
        installHint = exec["installHint"]?.stringValue
        self.server = server
        if case .bytes(let data) = caData { self.caData = data }
    }
}

/// What a plugin returned: a token and/or a client certificate, valid until `expiry`.
public struct ExecCredential: Sendable, Equatable {
    public var token: String?
    public var clientCertificate: Data?
    public var clientKey: Data?
    public var expiry: Date?

    func isFresh(now: Date) -> Bool { expiry.map { $0.timeIntervalSince(now) > 10 } ?? true }
}

enum ExecCredentialRunner {
    static func run(_ config: ExecCredentialConfig) async throws -> ExecCredential {
        var cluster: JSONValue = ["server": .string(config.server)]
        if let ca = config.caData { cluster["certificate-authority-data"] = .string(ca.base64EncodedString()) }
        var spec: JSONValue = ["interactive": false]
        if config.provideClusterInfo { spec["cluster"] = cluster }
        let info: JSONValue = ["apiVersion": .string(config.apiVersion), "kind": "ExecCredential", "spec": spec]

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [config.command] + config.args
        var environment = ProcessInfo.processInfo.environment
        environment.merge(config.env) { _, new in new }
        environment["KUBERNETES_EXEC_INFO"] = info.encodedString()
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                let hint = config.installHint.map { "\n\($0)" } ?? ""
                continuation.resume(throwing: KubeConfigError("exec credential plugin '\(config.command)' could not start: \(error.localizedDescription)\(hint)"))
            }
        }
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile().suffix(500), as: UTF8.self)
        guard status == 0 else {
            throw KubeConfigError("exec credential plugin '\(config.command)' failed with exit code \(status): \(err.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard let document = try? JSONValue.decode(out), document["kind"]?.stringValue == "ExecCredential" else {
            throw KubeConfigError("exec credential plugin '\(config.command)' did not print an ExecCredential JSON object")
        }
        let status_ = document["status"] ?? .object([:])
        var credential = ExecCredential()
        credential.token = status_["token"]?.stringValue
        credential.clientCertificate = status_["clientCertificateData"]?.stringValue.map { Data($0.utf8) }
        credential.clientKey = status_["clientKeyData"]?.stringValue.map { Data($0.utf8) }
        if let stamp = status_["expirationTimestamp"]?.stringValue {
            credential.expiry = KubeTime.parse(stamp)
        }
        guard credential.token != nil || (credential.clientCertificate != nil && credential.clientKey != nil) else {
            throw KubeConfigError("exec credential plugin '\(config.command)': status has neither 'token' nor 'clientCertificateData'+'clientKeyData'")
        }
        return credential
    }
}
