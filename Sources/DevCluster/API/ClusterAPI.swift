import JSONValue
import Foundation
import KubeAPI
import Logging

/// The API server's request handling, independent of the HTTP library: discovery, OpenAPI, and
/// CRUD/watch over the object store, with pods handed to the kubelet. Every request is impersonated and
/// authorized first (`admit`, Auth/), as kube-apiserver's filter chain does before routing.
final class ClusterAPI: Sendable {
    let store: ObjectStore
    let kubelet: Kubelet
    let address: String
    let bookmarkInterval: Duration
    let faultSettings: FaultSettings
    let logger: Logger
    let authenticator: Authenticator
    let authorizer: RBACAuthorizer
    let accessLog = AccessLog()
    let warmUp = AuthorizerWarmUp()

    init(store: ObjectStore, kubelet: Kubelet, address: String, bookmarkInterval: Duration, faultSettings: FaultSettings, adminToken: String, logger: Logger) {
        self.authenticator = Authenticator(adminToken: adminToken, store: store)
        self.authorizer = RBACAuthorizer(store: store)
        self.faultSettings = faultSettings
        self.store = store
        self.kubelet = kubelet
        self.address = address
        self.bookmarkInterval = bookmarkInterval
        self.logger = logger
    }

    func handle(_ request: APIRequest) async -> APIResponse {
        let response: APIResponse
        do {
            response = try await route(try await admit(request))
        } catch let error as APIError {
            response = .error(error)
        } catch {
            response = .error(APIError(code: 500, reason: "InternalError", message: "Internal error occurred: \(error)"))
        }
        if logger.logLevel <= .debug {
            // One line per request at debug level (`clearml-glue-dev cluster --log-level debug`), as an access log.
            let code: Int = switch response { case .json(let c, _), .jsonWarning(let c, _, _), .text(let c, _): c; case .stream: 200 }
            let query = request.query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
            logger.debug("request", metadata: ["method": "\(request.method)", "path": "\(request.path)\(query.isEmpty ? "" : "?" + query)",
                                              "code": "\(code)", "user": "\(request.user.name)"])
        }
        return response
    }

    private func route(_ request: APIRequest) async throws -> APIResponse {
        let route = APIRoute.parse(request.path)
        let get = request.method == "GET"
        switch route {
        case .version where get: return .json(200, Discovery.version())
        case .coreVersions where get: return .json(200, Discovery.coreVersions(address: address))
        case .groupList where get: return .json(200, Discovery.groupList())
        case .group(let name) where get:
            guard let group = Discovery.group(name) else { throw APIError.notFound("", request.path) }
            return .json(200, group)
        case .resourceList(let group, let version) where get:
            guard let list = Discovery.resourceList(group: group, version: version) else { throw pathNotFound(request.path) }
            return .json(200, list)
        case .openAPIRoot where get: return .json(200, OpenAPI.root())
        case .openAPIDocument(let path) where get:
            guard let document = OpenAPI.document(path: path) else { throw pathNotFound(request.path) }
            return .json(200, document)
        case .openAPIv2 where get && request.path.split(separator: "/").count == 2:
            return OpenAPIv2.response(accept: request.accept)
        case .review(let group, let plural) where request.method == "POST":
            return .json(201, try await review(group: group, plural: plural, request))
        case .resource(let group, let version, let plural, let namespace, let name, let subresource):
            guard let served = ServedResource.find(group: group, version: version, plural: plural) else { throw pathNotFound(request.path) }
            return try await resource(served, namespace: namespace, name: name, subresource: subresource, request)
        default:
            throw pathNotFound(request.path)
        }
    }

    func pathNotFound(_ path: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource", details: [:])
    }

    private func resource(
        _ served: ServedResource, namespace: String?, name: String?, subresource: String?, _ request: APIRequest
    ) async throws -> APIResponse {
        let type = served.type
        if !type.namespaced, namespace != nil { throw pathNotFound(request.path) }
        if let subresource, !served.subresources.contains(subresource) { throw pathNotFound(request.path) }
        if served.readOnly, !["GET"].contains(request.method) { throw APIError.methodNotAllowed(request.method) }
        if type == .serviceAccounts, subresource == "token", let name {
            guard request.method == "POST" else { throw APIError.methodNotAllowed(request.method) }
            return .json(201, try await tokenRequest(namespace: namespace ?? "default", serviceAccount: name, request))
        }
        if subresource == "scale", let name {
            return try await scale(type, namespace: namespace ?? "default", name: name, request)
        }
        switch (request.method, name) {
        case ("GET", nil):
            if request.flag("watch") { return try await watch(type, namespace: namespace, request) }
            return .json(200, try await list(type, namespace: namespace, request))
        case ("POST", nil):
            return try await create(type, namespace: namespace, request)
        case ("GET", let name?):
            if subresource == "log" { return try await log(namespace: namespace ?? "default", name: name, request) }
            guard let object = await store.get(type, namespace: namespace, name: name) else { throw APIError.notFound(type.plural, name, group: type.group) }
            if TableView.wantsTable(request.accept) {
                return .json(200, TableView.table(type, objects: [object], resourceVersion: String(await store.currentVersion), includeObject: request.query["includeObject"]))
            }
            return .json(200, object)
        case ("PUT", let name?):
            return try await replace(type, namespace: namespace, name: name, subresource: subresource, request)
        case ("PATCH", let name?):
            return try await patch(type, namespace: namespace, name: name, subresource: subresource, request)
        case ("DELETE", let name?):
            return .json(200, try await delete(type, namespace: namespace, name: name, request))
        default:
            throw APIError.methodNotAllowed(request.method)
        }
    }
}
