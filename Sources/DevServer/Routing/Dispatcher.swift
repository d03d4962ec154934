import Foundation
import HTTPTypes
import Hummingbird
import JSONValue
import Logging

/// Takes any HTTP request, finds the endpoint, authenticates, decodes and answers in the upstream envelope.
/// HTTP method is irrelevant (the official clients send GET with a JSON body).
struct Dispatcher: Sendable {
    let state: ServerState
    let endpoints: [String: Endpoint]

    struct Outcome: Sendable {
        var status: Int
        var body: [UInt8]
        var setCookie: String?
    }

    func respond(to request: Request) async -> Response {
        var request = request
        var body: [UInt8] = []
        let outcome = await handle(&request, body: &body)
        state.recorder?.record(method: "\(request.method)", path: request.uri.path,
                               headers: request.headers.map { ($0.name.rawName, $0.value) }, body: body, status: outcome.status)
        state.logger.debug("\(request.method) \(request.uri.path) -> \(outcome.status)")
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.accessControlAllowOrigin] = "*"
        if let cookie = outcome.setCookie { headers[.setCookie] = cookie }
        return Response(
            status: HTTPResponse.Status(code: outcome.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: outcome.body)))
    }

    private func handle(_ request: inout Request, body collected: inout [UInt8]) async -> Outcome {
        let callID = Identifiers.make()
        let trx = header(request, "X-ClearML-Trx") ?? header(request, "X-Trains-Trx") ?? callID
        var meta = Envelope.Meta(id: callID, trx: trx, endpoint: "", requestedVersion: APIVersion.max.description,
                                 actualVersion: nil)

        guard let path = RequestDecoding.parsePath(request.uri.path) else {
            return Envelope.error(.invalidPath(request.uri.path), meta: meta)
        }
        let requested = path.version ?? APIVersion.max
        meta.endpoint = path.name
        meta.requestedVersion = requested.description
        guard let endpoint = endpoints[path.name],
              let actual = endpoint.versions.last(where: { $0 <= requested })
        else {
            return Envelope.error(.endpointNotFound(path.name, version: requested.description), meta: meta)
        }
        meta.actualVersion = actual.description
        state.ledger.record(worker: header(request, "X-ClearML-Worker") ?? header(request, "X-Trains-Worker"), endpoint: path.name)

        if let encoding = header(request, "Content-Encoding"), !encoding.isEmpty, encoding.lowercased() != "identity" {
            return Envelope.error(.contentEncodingNotSupported, meta: meta)
        }
        let limit = state.configuration.maxBodyBytes
        if let length = header(request, "Content-Length").flatMap(Int.init), length > limit {
            return Envelope.error(.bodyTooLarge(limit: limit), meta: meta)
        }
        let bytes: [UInt8]
        do {
            let buffer = try await request.collectBody(upTo: limit)
            bytes = Array(buffer.readableBytesView)
            collected = bytes
        } catch {
            return Envelope.error(.bodyTooLarge(limit: limit), meta: meta)
        }

        let now = Date()
        let identity: Identity
        if endpoint.authenticated {
            do {
                identity = try state.authenticator.authenticate(
                    authorization: header(request, "Authorization"), cookie: header(request, "Cookie"), now: now)
            } catch {
                return Envelope.error(error, meta: meta)
            }
        } else {
            identity = state.identity
        }

        var call: APICall
        do {
            call = try makeCall(request, bytes: bytes, endpoint: path.name, identity: identity, now: now)
            call.version = requested
        } catch {
            return Envelope.error(error, meta: meta)
        }

        do {
            let data = try await endpoint.handler(call)
            var outcome = Envelope.success(data, meta: meta)
            if path.name == "auth.login", let token = data["token"]?.strictString {
                outcome.setCookie = "\(Authenticator.cookieName)=\(token); Path=/; HttpOnly"
            }
            return outcome
        } catch let error as APIError {
            return Envelope.error(error, meta: meta)
        } catch {
            state.logger.error("\(path.name) failed: \(error)")
            return Envelope.error(.internalError("\(error)"), meta: meta, stack: "\(error)")
        }
    }

    private func makeCall(_ request: Request, bytes: [UInt8], endpoint: String, identity: Identity, now: Date)
        throws(APIError) -> APICall
    {
        let query = RequestDecoding.parseQuery(request.uri.query)
        var body: JSONValue
        var batch: [JSONValue]
        switch try RequestDecoding.parseBody(bytes, contentType: header(request, "Content-Type")) {
        case .object(let value):
            guard value.objectValue != nil else { throw APIError.validation("Data should be a dict") }
            body = value
            batch = [value]
        case .batch(let items):
            guard items.allSatisfy({ $0.objectValue != nil }) else {
                throw APIError.validation("Data should be a dict")
            }
            batch = items
            body = items.count == 1 ? items[0] : .object([:])
        }
        for (key, value) in query where body[key] == nil { body[key] = value }
        let worker = header(request, "X-ClearML-Worker") ?? header(request, "X-Trains-Worker")
        return APICall(endpoint: endpoint, body: body, batch: batch, identity: identity, worker: worker, now: now)
    }

    private func header(_ request: Request, _ name: String) -> String? {
        guard let field = HTTPField.Name(name) else { return nil }
        return request.headers[field]
    }
}
