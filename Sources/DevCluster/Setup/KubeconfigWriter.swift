import Foundation

/// Writes the kubeconfig `kubectl` and the glue use: cluster with our CA (embedded), token user, one context.
enum KubeconfigWriter {
    static func write(to path: String, server: String, caPath: String, token: String, user: String = "devcluster-admin", namespace: String = "default") throws {
        let ca = try Data(contentsOf: URL(fileURLWithPath: caPath)).base64EncodedString()
        let text = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: devcluster
              cluster:
                server: \(server)
                certificate-authority-data: \(ca)
            users:
            - name: "\(user)"
              user:
                token: \(token)
            contexts:
            - name: devcluster
              context:
                cluster: devcluster
                user: "\(user)"
                namespace: \(namespace)
            current-context: devcluster

            """
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }
}
