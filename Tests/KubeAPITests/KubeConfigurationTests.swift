import Foundation
import KubeAPI
import Testing

@Suite struct KubeConfigurationTests {
    let directory: String = {
        let path = NSTemporaryDirectory() + "kubeconfig-test-" + UUID().uuidString.prefix(8)
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    func write(_ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let caPEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

    @Test func resolvesCurrentContextTokenAndNamespace() throws {
        let ca = Data(Self.caPEM.utf8).base64EncodedString()
        let path = try write("config", """
            apiVersion: v1
            kind: Config
            current-context: a
            clusters:
            - name: c1
              cluster: {server: "https://10.0.0.1:6443/", certificate-authority-data: \(ca), tls-server-name: api.internal, proxy-url: "http://proxy:3128"}
            - name: c2
              cluster: {server: "https://10.0.0.2", insecure-skip-tls-verify: true}
            users:
            - name: u1
              user: {token: "12345"}
            - name: u2
              user: {tokenFile: tok}
            contexts:
            - name: a
              context: {cluster: c1, user: u1, namespace: team}
            - name: b
              context: {cluster: c2, user: u2}
            """)
        let a = try KubeConfiguration.load(kubeconfig: path, environment: [:])
        #expect(a.server == "https://10.0.0.1:6443")
        #expect(a.credentials == .token("12345"))
        #expect(a.namespace == "team")
        #expect(a.tlsServerName == "api.internal" && a.proxyURL == "http://proxy:3128")
        #expect(a.tls.certificateAuthority == .bytes(Data(Self.caPEM.utf8)))
        let b = try KubeConfiguration.load(kubeconfig: path, context: "b", environment: [:])
        #expect(b.tls.insecureSkipVerify && b.namespace == "default")
        #expect(b.credentials == .tokenFile(directory + "/tok"))
    }

    @Test func kubeconfigListMergesFirstWins() throws {
        let first = try write("one", "current-context: x\ncontexts: [{name: x, context: {cluster: k, user: u}}]\nusers: [{name: u, user: {token: first}}]\n")
        let second = try write("two", "current-context: y\nclusters: [{name: k, cluster: {server: 'https://k'}}]\nusers: [{name: u, user: {token: second}}]\n")
        let config = try KubeConfiguration.load(environment: ["KUBECONFIG": "\(first):\(directory)/missing:\(second)"])
        #expect(config.server == "https://k" && config.credentials == .token("first"))
    }

    @Test func badKubeconfigsNameTheProblem() throws {
        let missingContext = try write("m1", "current-context: nope\ncontexts: []\nclusters: []\n")
        #expect(throws: KubeConfigError.self) { try KubeConfiguration.load(kubeconfig: missingContext, environment: [:]) }
        do { _ = try KubeConfiguration.load(kubeconfig: missingContext, environment: [:]) } catch {
            #expect("\(error)".contains("context 'nope' not found"))
        }
        let badCert = try write("m2", """
            current-context: a
            contexts: [{name: a, context: {cluster: c, user: u}}]
            clusters: [{name: c, cluster: {server: 'https://x'}}]
            users: [{name: u, user: {client-certificate: /nonexistent/cert.pem, client-key: /nonexistent/key.pem}}]
            """)
        do {
            _ = try KubeConfiguration.load(kubeconfig: badCert, environment: [:])
            Issue.record("expected failure")
        } catch {
            #expect("\(error)".contains("client-certificate") && "\(error)".contains("/nonexistent/cert.pem"))
        }
        let noServer = try write("m3", "current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\nclusters: [{name: c, cluster: {}}]\n")
        do {
            _ = try KubeConfiguration.load(kubeconfig: noServer, environment: [:])
            Issue.record("expected failure")
        } catch {
            #expect("\(error)".contains("'server' is missing"))
        }
        #expect(throws: KubeConfigError.self) { try KubeConfiguration.load(kubeconfig: directory + "/absent", environment: [:]) }
        #expect(throws: KubeConfigError.self) { try KubeConfiguration.load(environment: ["HOME": directory]) }
    }

    @Test func inClusterUsesServiceAccountFiles() throws {
        let sa = directory + "/sa"
        try FileManager.default.createDirectory(atPath: sa, withIntermediateDirectories: true)
        try "tkn\n".write(toFile: sa + "/token", atomically: true, encoding: .utf8)
        try Self.caPEM.write(toFile: sa + "/ca.crt", atomically: true, encoding: .utf8)
        try "glue-ns".write(toFile: sa + "/namespace", atomically: true, encoding: .utf8)
        let config = try KubeConfiguration.load(
            environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443", "HOME": directory],
            serviceAccountDirectory: sa)
        #expect(config.server == "https://10.96.0.1:443")
        #expect(config.namespace == "glue-ns")
        #expect(config.credentials == .tokenFile(sa + "/token"))
        #expect(config.tls.certificateAuthority == .file(sa + "/ca.crt") && !config.tls.trustSystemRoots)
    }

    @Test func execPluginConfigIsValidated() throws {
        let bad = try write("e1", """
            current-context: a
            contexts: [{name: a, context: {cluster: c, user: u}}]
            clusters: [{name: c, cluster: {server: 'https://x'}}]
            users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: aws}}}]
            """)
        do {
            _ = try KubeConfiguration.load(kubeconfig: bad, environment: [:])
            Issue.record("expected failure")
        } catch {
            #expect("\(error)".contains("exec field 'apiVersion'"))
        }
    }
}
