import Foundation
import Testing
import GlueTestSupport
@testable import HTTPClient

/// The system CA store is the first readable of `systemCABundlePaths` (images keep it in different places; the
/// agent bundle ships a fallback), not only libcurl's built-in Debian path.
@Suite(.timeLimit(.minutes(2))) struct CAStoreDiscoveryTests {
    let certs = TestCertificates.shared

    @Test func firstReadableStoreIsWhatServersAreVerifiedWith() async throws {
        let server = try await TestHTTPServer.start(tls: certs)
        let found = try HTTPClient(configuration: HTTPClientConfiguration(
            proxy: .none, systemCABundlePaths: ["/nonexistent/ca-certificates.crt", certs.caCertificate]))
        #expect(try await found.execute(HTTPRequest(url: server.url("/status/200"))).status == 200)
        #expect(try TLSConfiguration().resolve(systemBundlePaths: ["/nonexistent/a", certs.caCertificate]).caFile == certs.caCertificate)
        #expect(try TLSConfiguration().resolve(systemBundlePaths: ["/nonexistent/a"]).caFile == nil)
        #expect(try TLSConfiguration(trustSystemRoots: false).resolve(systemBundlePaths: [certs.caCertificate]).caFile == nil)
    }

    @Test func defaultPathsPutTheEnvironmentFirstAndTheBundledStoreLast() {
        let paths = HTTPClientConfiguration.defaultCABundlePaths
        #expect(paths.contains("/etc/ssl/certs/ca-certificates.crt") && paths.contains("/etc/pki/tls/certs/ca-bundle.crt"))
        if let bundled = HTTPClientConfiguration.bundledCABundlePath {
            #expect(paths.last == bundled && bundled.hasSuffix("/share/clearml-glue/ca-certificates.crt"))
        }
    }
}
