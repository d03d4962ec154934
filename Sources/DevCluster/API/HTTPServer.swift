import Foundation
import Hummingbird
import HummingbirdTLS
import KubeAPI
import Logging
import NIOCore
import NIOSSL

/// Request context that keeps the channel, to read the verified client certificate (mTLS users).
struct ClusterRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    var maxUploadSize: Int { 16 << 20 }
}

/// Hummingbird over TLS in front of `ClusterAPI`: authentication (bearer token or client certificate, else 401),
/// fault injection, and the translation between HTTP and `APIRequest`/`APIResponse`.
enum HTTPServer {
    static func tlsConfiguration(_ certs: ClusterCertificates) throws -> NIOSSL.TLSConfiguration {
        var tls = NIOSSL.TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certs.serverCertificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: certs.serverKeyPath, format: .pem)))
        // Client certificates are optional (tokens also work) but, when presented, must chain to our CA.
        tls.certificateVerification = .optionalVerification
        tls.trustRoots = .file(certs.caCertificatePath)
        return tls
    }

    static func responder(api: ClusterAPI) -> CallbackResponder<ClusterRequestContext> {
        CallbackResponder { request, context in
            let certificate = (try? await context.channel.nioSSL_peerCertificate().get())?.map { certificate in
                (commonName: certificate.subjectName.first { $0.type == .commonName }?.value ?? "",
                 organizations: certificate.subjectName.filter { $0.type == .organization }.map(\.value))
            }
            guard let user = await api.authenticator.authenticate(authorization: request.headers[.authorization], certificate: certificate) else {
                return response(.error(.unauthorized))
            }
            switch api.faultSettings.draw(path: request.uri.path) {
            case .internalError?: return response(.error(.internalError))
            case .throttled?: return response(.error(.tooManyRequests))
            case .connectionReset?:
                context.channel.close(promise: nil)
                throw HTTPError(.internalServerError)
            case nil: break
            }
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            let apiRequest = APIRequest(
                method: request.method.rawValue, path: request.uri.path, query: query,
                accept: request.headers[.accept], contentType: request.headers[.contentType], body: Data(body.readableBytesView),
                user: user, impersonation: impersonation(request.headers))
            return response(await api.handle(apiRequest))
        }
    }

    private static let warningHeader: HTTPFields.Element.Name = .init("Warning") ?? .contentType

    /// kubectl's `--as`, `--as-group`, `--as-uid`.
    static func impersonation(_ headers: HTTPFields) -> ImpersonationHeaders {
        func field(_ name: String) -> HTTPFields.Element.Name? { HTTPFields.Element.Name(name) }
        var result = ImpersonationHeaders()
        if let name = field("Impersonate-User") { result.user = headers[name] }
        if let name = field("Impersonate-Group") { result.groups = headers[values: name] }
        if let name = field("Impersonate-Uid") { result.uid = headers[name] }
        return result
    }

    static func response(_ answer: APIResponse) -> Response {
        switch answer {
        case .json(let code, let value):
            return response(.jsonWarning(code, value, warnings: []))
        case .jsonWarning(let code, let value, let warnings):
            var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-cache, private"]
            if let retry = value[path: "details", "retryAfterSeconds"]?.intValue, code == 429 || code >= 500 {
                headers[.retryAfter] = String(retry)
            }
            // apimachinery `NewWarningHeader`: code 299, agent "-", the text quoted with `"` and `\` escaped;
            // identical texts once (apiserver filters/warning.go).
            var seen: Set<String> = []
            for warning in warnings where seen.insert(warning).inserted {
                let quoted = "\"" + warning.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
                headers.append(.init(name: warningHeader, value: "299 - \(quoted)"))
            }
            return Response(status: .init(code: code), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: value.encoded())))
        case .text(let code, let text):
            return Response(status: .init(code: code), headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: text)))
        case .stream(let contentType, let chunks):
            return Response(
                status: .ok, headers: [.contentType: contentType, .cacheControl: "no-cache, private"],
                body: ResponseBody { writer in
                    for await chunk in chunks {
                        try await writer.write(ByteBuffer(bytes: chunk))
                    }
                    try await writer.finish(nil)
                })
        }
    }
}
