import CCurl
import Foundation

/// One request on one libcurl easy handle. Everything but `body`, `cancel()` and `resume()` is touched
/// only on the curl thread (from `CurlMultiLoop` and the C callbacks), which is what makes the
/// unchecked Sendable conformance sound.
final class CurlTransfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    let body = BodyBuffer()
    let host: String
    let idleTimeout: Duration?
    private let isHTTPS: Bool
    private let timeouts: HTTPTimeouts
    private let loop: CurlMultiLoop
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var connectTo: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    // Curl-thread state.
    var headContinuation: CheckedContinuation<HTTPResponseHead, any Error>?
    var lastActivity = ContinuousClock.now
    var cancelRequested = false
    var isDone = false
    private var headers = HTTPHeaders()
    private var headDelivered = false

    init(request: HTTPRequest, configuration: HTTPClientConfiguration, tls: ResolvedTLS, loop: CurlMultiLoop) throws(HTTPClientError) {
        guard let components = URLComponents(string: request.url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { throw .invalidURL(Self.redacted(request.url)) }
        guard let easy = curl_easy_init() else { throw .transport(code: -1, host: host, detail: "curl_easy_init failed") }
        self.easy = easy
        self.host = components.port.map { "\(host):\($0)" } ?? host
        self.isHTTPS = scheme == "https"
        self.timeouts = request.timeouts ?? configuration.timeouts
        self.idleTimeout = timeouts.idle
        self.loop = loop
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        try configure(request: request, configuration: configuration, tls: tls)
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        curl_slist_free_all(connectTo)
        errorBuffer.deallocate()
    }

    /// Aborts the transfer from any thread; harmless once it has finished.
    func cancel() { loop.submit(.cancel(self)) }

    /// Continues a transfer paused because its reader fell behind.
    func resume() { loop.submit(.resume(self)) }

    private func configure(request: HTTPRequest, configuration: HTTPClientConfiguration, tls: ResolvedTLS) throws(HTTPClientError) {
        var failure: CURLcode = CURLE_OK
        func check(_ code: CURLcode) { if failure == CURLE_OK && code != CURLE_OK { failure = code } }

        check(ccurl_easy_setopt_string(easy, CURLOPT_URL, try target(request.url, serverName: isHTTPS ? tls.serverName : nil)))
        check(ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        check(ccurl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1))
        check(ccurl_easy_setopt_long(easy, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1))
        check(ccurl_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, ""))
        check(ccurl_easy_setopt_string(easy, CURLOPT_USERAGENT, configuration.userAgent))
        check(ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer))
        let opaque = Unmanaged.passUnretained(self).toOpaque()
        check(ccurl_easy_setopt_pointer(easy, CURLOPT_PRIVATE, opaque))
        check(ccurl_easy_setopt_callback(easy, CURLOPT_WRITEFUNCTION, curlWriteCallback))
        check(ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, opaque))
        check(ccurl_easy_setopt_callback(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback))
        check(ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, opaque))

        switch request.method {
        case .get where request.body == nil: check(ccurl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1))
        case .head: check(ccurl_easy_setopt_long(easy, CURLOPT_NOBODY, 1))
        default:
            check(ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method.rawValue))
            let body = request.body ?? Data()
            check(ccurl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            if body.isEmpty {
                check(ccurl_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, ""))
            } else {
                check(body.withUnsafeBytes { ccurl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress)) })
            }
        }

        // "Expect:" stops curl waiting for a 100-continue on larger bodies.
        var headerLines = ["Expect:"]
        for (name, value) in request.headers { headerLines.append("\(name): \(value)") }
        if let auth = request.authorization { headerLines.append("Authorization: \(auth.headerValue)") }
        for line in headerLines { headerList = curl_slist_append(headerList, line) }
        check(ccurl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList))

        if let connect = timeouts.connect { check(ccurl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, connect.milliseconds)) }
        if let total = timeouts.total { check(ccurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, total.milliseconds)) }

        // An empty proxy string turns off libcurl's own environment lookup: we decide, explicitly.
        check(ccurl_easy_setopt_string(easy, CURLOPT_PROXY, configuration.proxy.proxy(forHTTPS: isHTTPS) ?? ""))
        if let noProxy = configuration.proxy.noProxy { check(ccurl_easy_setopt_string(easy, CURLOPT_NOPROXY, noProxy)) }

        if tls.insecureSkipVerify {
            check(ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0))
            check(ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0))
        }
        if let ca = tls.caBundle {
            check(ca.withUnsafeBytes { ccurl_easy_setopt_blob(easy, CURLOPT_CAINFO_BLOB, $0.baseAddress, $0.count) })
            check(ccurl_easy_setopt_string(easy, CURLOPT_CAPATH, nil))
        } else if let caFile = tls.caFile {
            check(ccurl_easy_setopt_string(easy, CURLOPT_CAINFO, caFile))
        }
        if let cert = tls.clientCertificate, let key = tls.clientKey {
            check(ccurl_easy_setopt_string(easy, CURLOPT_SSLCERTTYPE, "PEM"))
            check(cert.withUnsafeBytes { ccurl_easy_setopt_blob(easy, CURLOPT_SSLCERT_BLOB, $0.baseAddress, $0.count) })
            check(ccurl_easy_setopt_string(easy, CURLOPT_SSLKEYTYPE, "PEM"))
            check(key.withUnsafeBytes { ccurl_easy_setopt_blob(easy, CURLOPT_SSLKEY_BLOB, $0.baseAddress, $0.count) })
        }
        if failure != CURLE_OK {
            throw .transport(code: Int(failure.rawValue), host: host, detail: String(cString: curl_easy_strerror(failure)))
        }
    }

    /// With a TLS server name, the request is addressed to that name (so curl verifies and sends SNI for
    /// it) while CONNECT_TO keeps the TCP connection going to the URL's real host and port.
    private func target(_ url: String, serverName: String?) throws(HTTPClientError) -> String {
        guard let serverName, var components = URLComponents(string: url), let realHost = components.host,
              realHost.lowercased() != serverName.lowercased() else { return url }
        let port = components.port ?? 443
        components.host = serverName
        components.port = port
        guard let rewritten = components.string else { throw .invalidURL(Self.redacted(url)) }
        let connectHost = realHost.contains(":") ? "[\(realHost)]" : realHost
        connectTo = curl_slist_append(connectTo, "\(serverName):\(port):\(connectHost):\(port)")
        _ = ccurl_easy_setopt_slist(easy, CURLOPT_CONNECT_TO, connectTo)
        return rewritten
    }

    // MARK: Curl-thread callbacks

    func receiveHeader(_ bytes: UnsafeRawBufferPointer) -> Int {
        lastActivity = .now
        var line = String(decoding: bytes, as: UTF8.self)
        // "\r\n" is one Character in Swift, so test for any newline rather than "\r" and "\n".
        while line.last?.isNewline == true { line.removeLast() }
        if line.hasPrefix("HTTP/") {
            headers = HTTPHeaders()  // a new response (after 1xx) starts over
        } else if line.isEmpty {
            let status = responseCode
            if status >= 200 { deliverHead(status: status) }
        } else if let colon = line.firstIndex(of: ":") {
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.add(name: name, value: value)
        }
        return bytes.count
    }

    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        lastActivity = .now
        deliverHead(status: responseCode)
        return body.offer(bytes) ? bytes.count : ccurl_writefunc_pause
    }

    /// Ends the transfer once: the waiting caller gets the head or the error, the reader the end.
    func finish(_ error: HTTPClientError?) {
        guard !isDone else { return }
        isDone = true
        if !headDelivered {
            headDelivered = true
            if let error { headContinuation?.resume(throwing: error) } else {
                headContinuation?.resume(returning: HTTPResponseHead(status: responseCode, headers: headers))
            }
            headContinuation = nil
        }
        body.finish(error)
    }

    func failure(for code: CURLcode) -> HTTPClientError {
        let buffered = String(cString: errorBuffer)
        let detail = buffered.isEmpty ? String(cString: curl_easy_strerror(code)) : buffered
        switch code {
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT: return .invalidURL(host)
        case CURLE_COULDNT_RESOLVE_HOST: return .dnsFailure(host: host, detail: detail)
        case CURLE_COULDNT_RESOLVE_PROXY: return .proxyFailure(detail: detail)
        case CURLE_COULDNT_CONNECT: return .connectionRefused(host: host, detail: detail)
        case CURLE_OPERATION_TIMEDOUT:
            let connecting = info(CURLINFO_CONNECT_TIME_T) == 0 || (isHTTPS && info(CURLINFO_APPCONNECT_TIME_T) == 0)
            if connecting, let connect = timeouts.connect { return .timeout(.connect, host: host, after: connect) }
            return .timeout(.total, host: host, after: timeouts.total ?? .zero)
        case CURLE_PEER_FAILED_VERIFICATION: return .tlsVerificationFailed(host: host, reason: detail)
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR:
            return .tls(host: host, reason: detail)
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR:
            return detail.contains("SSL") || detail.contains("TLS") ? .tls(host: host, reason: detail) : .connectionLost(host: host, detail: detail)
        case CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return .connectionLost(host: host, detail: detail)
        case CURLE_ABORTED_BY_CALLBACK: return .cancelled
        default: return .transport(code: Int(code.rawValue), host: host, detail: detail)
        }
    }

    private func deliverHead(status: Int) {
        guard !headDelivered else { return }
        headDelivered = true
        headContinuation?.resume(returning: HTTPResponseHead(status: status, headers: headers))
        headContinuation = nil
    }

    private var responseCode: Int {
        var code = 0
        _ = ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    private func info(_ item: CURLINFO) -> Int64 {
        var value: curl_off_t = 0
        _ = ccurl_easy_getinfo_off_t(easy, item, &value)
        return Int64(value)
    }

    /// A URL fit for an error message: scheme, host and path, never user info or query.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "<unparsable URL>" }
        components.user = nil
        components.password = nil
        components.query = nil
        return components.string ?? "<unparsable URL>"
    }
}

private func curlWriteCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ userdata: UnsafeMutableRawPointer?) -> Int {
    guard let userdata else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
}

private func curlHeaderCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ userdata: UnsafeMutableRawPointer?) -> Int {
    guard let userdata else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
}

extension Duration {
    /// Whole milliseconds, at least 1 for any positive duration (0 would mean "no timeout" to libcurl).
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        let ms = Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
        return self > .zero ? max(ms, 1) : 0
    }
}
