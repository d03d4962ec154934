import Foundation

/// An async HTTP client over libcurl. Clients are cheap: they share one curl thread and its
/// connection pool, and differ only in TLS, proxy and timeout settings.
///
/// Errors thrown are always `HTTPClientError`; a cancelled Swift task aborts its transfer and
/// sees `HTTPClientError.cancelled`.
public final class HTTPClient: Sendable {
    public let configuration: HTTPClientConfiguration
    private let tls: ResolvedTLS
    private let loop: CurlMultiLoop

    /// Loads TLS material now, so a missing CA or key file fails here with its path.
    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) throws(HTTPClientError) {
        self.configuration = configuration
        self.tls = try configuration.tls.resolve(systemBundlePaths: configuration.systemCABundlePaths)
        self.loop = .shared
    }

    /// Sends the request and returns once the response head has arrived; the body follows as a stream.
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        let transfer = try CurlTransfer(request: request, configuration: configuration, tls: tls, loop: loop)
        if Task.isCancelled { throw HTTPClientError.cancelled }
        let head = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponseHead, any Error>) in
                transfer.headContinuation = continuation
                loop.submit(.add(transfer))
            }
        } onCancel: {
            transfer.cancel()
        }
        return HTTPStreamingResponse(head: head, body: HTTPBody(transfer: transfer))
    }

    /// Sends the request and reads the whole body (bounded by `maxResponseBodyBytes`). Any status is
    /// returned; call `ensureSuccess()` to turn a non-2xx status into an error.
    public func execute(_ request: HTTPRequest) async throws -> HTTPResponse {
        let response = try await stream(request)
        let body = try await response.body.collect(upTo: configuration.maxResponseBodyBytes)
        return HTTPResponse(status: response.status, headers: response.headers, body: body)
    }
}
