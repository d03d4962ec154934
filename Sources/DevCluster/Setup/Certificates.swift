import Foundation

/// The cluster's own CA and server certificate (SAN 127.0.0.1, ::1, localhost), made with the `openssl`
/// CLI at first start and kept in the data dir, so a kubeconfig written once stays valid across restarts.
struct ClusterCertificates: Sendable {
    var caCertificatePath: String
    var serverCertificatePath: String
    var serverKeyPath: String
    /// For mTLS tests: a client certificate signed by the same CA.
    var clientCertificatePath: String
    var clientKeyPath: String

    static func ensure(in directory: String) throws -> ClusterCertificates {
        let pki = directory + "/pki"
        try FileManager.default.createDirectory(atPath: pki, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let certs = ClusterCertificates(
            caCertificatePath: pki + "/ca.crt", serverCertificatePath: pki + "/server.crt", serverKeyPath: pki + "/server.key",
            clientCertificatePath: pki + "/client.crt", clientKeyPath: pki + "/client.key")
        let fm = FileManager.default
        if [certs.caCertificatePath, certs.serverCertificatePath, certs.serverKeyPath, certs.clientCertificatePath, certs.clientKeyPath]
            .allSatisfy(fm.fileExists) {
            return certs
        }
        let caKey = pki + "/ca.key"
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", caKey,
                     "-out", certs.caCertificatePath, "-days", "3650", "-subj", "/CN=clearml-glue-devcluster-ca",
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try issue(pki: pki, name: "server", subject: "/CN=devcluster-apiserver", caKey: caKey, caCert: certs.caCertificatePath,
                  extensions: "subjectAltName=IP:127.0.0.1,IP:0:0:0:0:0:0:0:1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n")
        try issue(pki: pki, name: "client", subject: "/O=system:masters/CN=devcluster-admin", caKey: caKey, caCert: certs.caCertificatePath,
                  extensions: "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n")
        return certs
    }

    private static func issue(pki: String, name: String, subject: String, caKey: String, caCert: String, extensions: String) throws {
        let key = "\(pki)/\(name).key", csr = "\(pki)/\(name).csr", ext = "\(pki)/\(name).ext"
        try extensions.write(toFile: ext, atomically: true, encoding: .utf8)
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr, "-subj", subject])
        try openssl(["x509", "-req", "-in", csr, "-CA", caCert, "-CAkey", caKey, "-CAcreateserial", "-out", "\(pki)/\(name).crt",
                     "-days", "3650", "-extfile", ext])
        try? FileManager.default.removeItem(atPath: csr)
        try? FileManager.default.removeItem(atPath: ext)
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DevClusterError("openssl \(arguments.first ?? "") failed: \(String(decoding: output.suffix(400), as: UTF8.self))")
        }
    }
}

public struct DevClusterError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
