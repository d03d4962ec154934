import Foundation
import Testing
import GlueTestSupport
@testable import HTTPClient

@Suite(.timeLimit(.minutes(2))) struct HTTPClientTLSTests {
    let certs = TestCertificates.shared

    func client(_ tls: TLSConfiguration) throws -> HTTPClient {
        try HTTPClient(configuration: HTTPClientConfiguration(tls: tls, proxy: .none))
    }

    @Test func serverCertificateVerifiedWithCAFromFileOrBytes() async throws {
        let server = try await TestHTTPServer.start(tls: certs)
        let fromFile = try client(TLSConfiguration(certificateAuthority: .file(certs.caCertificate), trustSystemRoots: false))
        #expect(try await fromFile.execute(HTTPRequest(url: server.url("/status/200"))).status == 200)
        let pem = try Data(contentsOf: URL(fileURLWithPath: certs.caCertificate))
        let fromBytes = try client(TLSConfiguration(certificateAuthority: .bytes(pem)))
        #expect(try await fromBytes.execute(HTTPRequest(url: server.url("/status/200", host: "localhost"))).status == 200)
    }

    @Test func unknownCAFailsVerificationWithReasonUnlessInsecure() async throws {
        let server = try await TestHTTPServer.start(tls: certs)
        await #expect {
            try await client(TLSConfiguration()).execute(HTTPRequest(url: server.url("/status/200")))
        } throws: { error in
            guard case .tlsVerificationFailed(_, let reason) = error as? HTTPClientError else { return false }
            return reason.contains("certificate")
        }
        let insecure = try client(TLSConfiguration(insecureSkipVerify: true))
        #expect(try await insecure.execute(HTTPRequest(url: server.url("/status/200"))).status == 200)
    }

    @Test func mutualTLSAcceptsOurClientCertificateAndRejectsNoneOrAStranger() async throws {
        let server = try await TestHTTPServer.start(tls: certs, requireClientCertificate: true)
        let ca = PEMSource.file(certs.caCertificate)
        let withCert = try client(TLSConfiguration(certificateAuthority: ca, trustSystemRoots: false,
                                                   clientCertificate: .file(certs.clientCertificate), clientKey: .file(certs.clientKey)))
        #expect(try await withCert.execute(HTTPRequest(url: server.url("/status/200"))).status == 200)

        let certBytes = try Data(contentsOf: URL(fileURLWithPath: certs.clientCertificate))
        let keyBytes = try Data(contentsOf: URL(fileURLWithPath: certs.clientKey))
        let withBytes = try client(TLSConfiguration(certificateAuthority: ca, clientCertificate: .bytes(certBytes), clientKey: .bytes(keyBytes)))
        #expect(try await withBytes.execute(HTTPRequest(url: server.url("/status/200"))).status == 200)

        let rejected: [TLSConfiguration] = [
            TLSConfiguration(certificateAuthority: ca),
            TLSConfiguration(certificateAuthority: ca, clientCertificate: .file(certs.strangerCertificate), clientKey: .file(certs.strangerKey)),
        ]
        for tls in rejected {
            await #expect {
                try await client(tls).execute(HTTPRequest(url: server.url("/status/200")))
            } throws: { error in
                switch error as? HTTPClientError {
                case .tls?, .connectionLost?: return true
                default: return false
                }
            }
        }
    }

    @Test func httpsGoesThroughTheProxyTunnelAndStillVerifiesTheServer() async throws {
        let server = try await TestHTTPServer.start(tls: certs)
        let proxy = try await TestHTTPServer.start()
        let tunnelled = try HTTPClient(configuration: HTTPClientConfiguration(
            tls: TLSConfiguration(certificateAuthority: .file(certs.caCertificate), trustSystemRoots: false),
            proxy: ProxyConfiguration(httpsProxy: proxy.url(""))))
        #expect(try await tunnelled.execute(HTTPRequest(url: server.url("/status/200"))).status == 200)
        let plain = try HTTPClient(configuration: HTTPClientConfiguration(proxy: .none))
        let tunnels = try await plain.execute(HTTPRequest(url: proxy.url("/tunnels"))).bodyText
        #expect(tunnels == "[\"127.0.0.1:\(server.port)\"]")
        let unverified = try HTTPClient(configuration: HTTPClientConfiguration(proxy: ProxyConfiguration(httpsProxy: proxy.url(""))))
        await #expect {
            try await unverified.execute(HTTPRequest(url: server.url("/status/200")))
        } throws: { error in
            if case .tlsVerificationFailed = error as? HTTPClientError { return true }
            return false
        }
    }

    @Test func aServerNameVerifiesACertificateThatLacksTheAddress() async throws {
        let server = try await TestHTTPServer.start(tls: certs, named: true)
        let ca = PEMSource.file(certs.caCertificate)
        await #expect {
            try await client(TLSConfiguration(certificateAuthority: ca, trustSystemRoots: false)).execute(HTTPRequest(url: server.url("/status/200")))
        } throws: { error in
            if case .tlsVerificationFailed = error as? HTTPClientError { return true }
            return false
        }
        let named = try client(TLSConfiguration(certificateAuthority: ca, trustSystemRoots: false, serverName: "kube.internal"))
        #expect(try await named.execute(HTTPRequest(url: server.url("/status/200"))).status == 200)
        let wrongName = try client(TLSConfiguration(certificateAuthority: ca, trustSystemRoots: false, serverName: "other.internal"))
        await #expect(throws: HTTPClientError.self) { try await wrongName.execute(HTTPRequest(url: server.url("/status/200"))) }
    }

    @Test func unreadableOrInvalidMaterialFailsAtConfigurationTimeNamingTheFile() throws {
        #expect(throws: HTTPClientError.self) { try client(TLSConfiguration(certificateAuthority: .file("/nonexistent/ca.pem"))) }
        do {
            _ = try client(TLSConfiguration(certificateAuthority: .file("/nonexistent/ca.pem")))
        } catch {
            #expect("\(error)".contains("/nonexistent/ca.pem"))
            #expect("\(error)".contains("CA certificate"))
        }
        #expect(throws: HTTPClientError.invalidPEM(role: "CA certificate", reason: "no PEM 'BEGIN CERTIFICATE' block found")) {
            try client(TLSConfiguration(certificateAuthority: .bytes(Data("garbage".utf8))))
        }
        #expect(throws: HTTPClientError.self) {
            try client(TLSConfiguration(clientCertificate: .file(certs.clientCertificate)))
        }
    }
}
