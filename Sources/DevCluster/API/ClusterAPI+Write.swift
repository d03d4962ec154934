import JSONValue
import Foundation
import KubeAPI

extension ClusterAPI {
    func list(_ type: ResourceType, namespace: String?, _ request: APIRequest) async throws -> JSONValue {
        let filter = WatchFilter(
            resource: type, namespace: namespace, labels: try LabelSelector(parsing: request.query["labelSelector"]),
            fields: try FieldSelector(parsing: request.query["fieldSelector"]))
        var after: String?
        if let token = request.query["continue"], !token.isEmpty {
            guard let data = Data(base64Encoded: token), let decoded = try? JSONValue.decode(data),
                  let start = decoded["start"]?.stringValue else {
                throw APIError.badRequest("continue key is not valid")
            }
            after = start
        }
        let limit = request.query["limit"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }
        let page = await store.list(type, filter: filter, after: after, limit: limit)
        var metadata: JSONValue = ["resourceVersion": .string(String(page.version))]
        if page.more, let last = page.last {
            let token: JSONValue = ["start": .string(last), "rv": .int(page.version)]
            metadata["continue"] = .string(token.encoded().base64EncodedString())
        }
        if TableView.wantsTable(request.accept) {
            var table = TableView.table(type, objects: page.items, resourceVersion: String(page.version), includeObject: request.query["includeObject"])
            table["metadata"] = metadata
            return table
        }
        return ["kind": .string(type.kind + "List"), "apiVersion": .string(type.apiVersion), "metadata": metadata, "items": .array(page.items)]
    }

    func create(_ type: ResourceType, namespace: String?, _ request: APIRequest) async throws -> APIResponse {
        var object = try request.decodedBody()
        try checkKind(object, type)
        if type.namespaced {
            let namespace = namespace ?? "default"
            if let given = object[path: "metadata", "namespace"]?.stringValue, !given.isEmpty, given != namespace {
                throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            object[path: "metadata", "namespace"] = .string(namespace)
            guard await store.get(.namespaces, namespace: nil, name: namespace) != nil else {
                throw APIError.notFound("namespaces", namespace)
            }
        }
        if (object[path: "metadata", "name"]?.stringValue ?? "").isEmpty, let prefix = object[path: "metadata", "generateName"]?.stringValue {
            let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
            object[path: "metadata", "name"] = .string(prefix + String((0..<5).map { _ in alphabet.randomElement() ?? "x" }))
        }
        let decoded = try validate(object, type, request, options: "CreateOptions")
        object = Defaults.apply(decoded.object, type: type, manager: request.query["fieldManager"] ?? "kubectl", operation: "Update")
        if type == .pods { object = await ServiceAccountAdmission.admit(object, store: store) }
        if request.contentType?.hasPrefix("application/apply-patch+yaml") == true, let manager = request.query["fieldManager"] {
            object = ServerSideApply.recorded(object, manager: manager, applied: decoded.object)
        }
        let admissionWarnings = try await validatingAdmission(object, type, old: nil)
        if request.query["dryRun"] == "All" {
            // Everything but storing: the would-be object, with uid and creationTimestamp, no resourceVersion.
            let name = object[path: "metadata", "name"]?.stringValue ?? ""
            if await store.get(type, namespace: object[path: "metadata", "namespace"]?.stringValue, name: name) != nil {
                throw APIError.alreadyExists(type.plural, name, group: type.group)
            }
            object[path: "metadata", "uid"] = .string(UUID().uuidString.lowercased())
            return .jsonWarning(201, object, warnings: decoded.warnings + admissionWarnings)
        }
        let stored = try await store.insert(type, object)
        if type == .pods { await kubelet.admit(stored) }
        if type == .namespaces {
            _ = try? await store.insert(.serviceAccounts, Defaults.apply(
                ["metadata": ["name": "default", "namespace": stored[path: "metadata", "name"] ?? "default"]],
                type: .serviceAccounts, manager: "kube-controller-manager", operation: "Update"))
        }
        return .jsonWarning(201, stored, warnings: decoded.warnings + admissionWarnings)
    }

    func checkKind(_ object: JSONValue, _ type: ResourceType) throws(APIError) {
        if let kind = object["kind"]?.stringValue, kind != type.kind {
            throw .badRequest("the API version in the data (\(object["apiVersion"]?.stringValue ?? "")) does not match the expected API version (\(type.apiVersion))")
        }
    }

    /// Decoding and validation as the apiserver runs them on a write: the options (`fieldValidation`,
    /// `dryRun`) checked, time fields parsed (a bad one is a 400 in any mode), unknown fields refused under
    /// `Strict`, dropped with one `Warning` each under `Warn` (the server's default when the client sends
    /// nothing) and dropped silently under `Ignore`; then the object's own validation (422).
    func validate(_ object: JSONValue, _ type: ResourceType, _ request: APIRequest, options: String) throws(APIError) -> (object: JSONValue, warnings: [String]) {
        let mode = request.query["fieldValidation"] ?? ""
        guard ["", "Ignore", "Warn", "Strict"].contains(mode) else {
            throw APIError.invalidOptions(options, field: "fieldValidation",
                "Unsupported value: \"\(mode)\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"")
        }
        if let dryRun = request.query["dryRun"], dryRun != "All" {
            throw APIError.invalidOptions(options, field: "dryRun", "Unsupported value: [\"\(dryRun)\"]: supported values: \"All\"")
        }
        if let error = TimeFields.decodeError(object, type: type) { throw error }
        if let error = QuantityFields.decodeError(object, type: type) { throw error }
        var object = object
        var warnings: [String] = []
        let unknown = StrictFields.unknownFields(object, type: type)
        if !unknown.isEmpty {
            let texts = unknown.map { "unknown field \"\($0)\"" }
            if mode == "Strict" {
                throw APIError.badRequest("\(type.kind) in version \"\(type.version)\" cannot be handled as a \(type.kind): strict decoding error: " + texts.joined(separator: ", "))
            }
            if mode != "Ignore" { warnings = texts }
            object = StrictFields.removing(unknown, from: object)
        }
        var causes = Validation.checkName(object, resource: type) + Validation.checkLabels(object)
        if type == .pods { causes += Validation.checkPod(object) }
        causes += RBACObjectValidation.check(object, type: type)
        causes += WorkloadValidation.check(object, type: type)
        if !causes.isEmpty {
            throw APIError.invalid(kind: type.kind, group: type.group, name: object[path: "metadata", "name"]?.stringValue ?? "", causes: causes)
        }
        return (object, warnings)
    }

    func replace(_ type: ResourceType, namespace: String?, name: String, subresource: String?, _ request: APIRequest) async throws -> APIResponse {
        var object = try request.decodedBody()
        try checkKind(object, type)
        guard let current = await store.get(type, namespace: namespace, name: name) else { throw APIError.notFound(type.plural, name, group: type.group) }
        if let given = object[path: "metadata", "name"]?.stringValue, given != name {
            throw APIError.badRequest("the name of the object (\(given)) does not match the name on the URL (\(name))")
        }
        object = merged(current: current, incoming: object, subresource: subresource)
        object = try updated(current: current, next: object, type: type, subresource: subresource)
        let decoded = try validate(object, type, request, options: "UpdateOptions")
        let admissionWarnings = try await validatingAdmission(decoded.object, type, old: current)
        let expected = decoded.object[path: "metadata", "resourceVersion"]?.stringValue
        let stored = try await store.update(type, decoded.object, expectedVersion: expected)
        return .jsonWarning(200, try await removedIfFinalized(type, stored), warnings: decoded.warnings + admissionWarnings)
    }

    /// What survives an update: identity and creation metadata always; `status` only through
    /// `/status`, and nothing but `status` through it.
    func merged(current: JSONValue, incoming: JSONValue, subresource: String?) -> JSONValue {
        var result: JSONValue
        if subresource == "status" {
            result = current
            result["status"] = incoming["status"]
            result[path: "metadata", "resourceVersion"] = incoming[path: "metadata", "resourceVersion"]
        } else {
            result = incoming
            if current["status"] != nil, current["kind"]?.stringValue != "ConfigMap" { result["status"] = current["status"] }
        }
        for key in ["uid", "creationTimestamp", "namespace", "name", "deletionTimestamp", "deletionGracePeriodSeconds"] {
            result[path: "metadata", key] = current[path: "metadata", key]
        }
        if result["apiVersion"] == nil { result["apiVersion"] = current["apiVersion"] }
        if result["kind"] == nil { result["kind"] = current["kind"] }
        return result
    }

    func patch(_ type: ResourceType, namespace: String?, name: String, subresource: String?, _ request: APIRequest) async throws -> APIResponse {
        let contentType = (request.contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let body: JSONValue
        if contentType == "application/apply-patch+yaml", (try? JSONValue.decode(request.body)) == nil {
            body = try YAMLBody.decode(request.body)
        } else {
            body = try request.decodedBody()
        }
        let applier = contentType == "application/apply-patch+yaml" ? try ServerSideApply.requireManager(request) : nil
        let current = await store.get(type, namespace: namespace, name: name)
        if contentType == "application/apply-patch+yaml", current == nil {
            // Server-side apply creates what does not exist yet.
            var create = request
            create.body = body.encoded()
            create.query["fieldManager"] = request.query["fieldManager"]
            return try await self.create(type, namespace: namespace, create)
        }
        guard let current else { throw APIError.notFound(type.plural, name, group: type.group) }
        var patched: JSONValue
        switch contentType {
        case "application/json-patch+json":
            guard let operations = body.arrayValue else { throw APIError.badRequest("json patch must be an array of operations") }
            patched = try Patching.jsonPatch(current, operations: operations)
        case "application/merge-patch+json":
            patched = current.mergePatched(with: body)
        case "application/strategic-merge-patch+json":
            patched = Patching.strategicMerge(current, patch: body)
        case "application/apply-patch+yaml":
            patched = ServerSideApply.apply(current: current, applied: body, manager: applier ?? "")
        default:
            throw APIError(code: 415, reason: "UnsupportedMediaType", message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
        }
        patched = merged(current: current, incoming: patched, subresource: subresource)
        if subresource == nil, type == .pods || type == .namespaces { patched["status"] = current["status"] }
        patched = try updated(current: current, next: patched, type: type, subresource: subresource)
        let decoded = try validate(patched, type, request, options: "PatchOptions")
        let admissionWarnings = try await validatingAdmission(decoded.object, type, old: current)
        let expected = body[path: "metadata", "resourceVersion"]?.stringValue
        let stored = try await store.update(type, decoded.object, expectedVersion: expected)
        return .jsonWarning(200, try await removedIfFinalized(type, stored), warnings: decoded.warnings + admissionWarnings)
    }

    func delete(_ type: ResourceType, namespace: String?, name: String, _ request: APIRequest) async throws -> JSONValue {
        guard let current = await store.get(type, namespace: namespace, name: name) else { throw APIError.notFound(type.plural, name, group: type.group) }
        let options = request.body.isEmpty ? JSONValue.object([:]) : ((try? JSONValue.decode(request.body)) ?? [:])
        if let uid = options[path: "preconditions", "uid"]?.stringValue, uid != current[path: "metadata", "uid"]?.stringValue {
            throw APIError(code: 409, reason: "Conflict",
                           message: "Operation cannot be fulfilled on \(type.plural) \"\(name)\": Precondition failed: UID in precondition: \(uid), UID in object meta: \(current[path: "metadata", "uid"]?.stringValue ?? "")",
                           details: ["name": .string(name), "kind": .string(type.plural)])
        }
        if let version = options[path: "preconditions", "resourceVersion"]?.stringValue, version != current[path: "metadata", "resourceVersion"]?.stringValue {
            throw APIError(code: 409, reason: "Conflict",
                           message: "Operation cannot be fulfilled on \(type.plural) \"\(name)\": Precondition failed: ResourceVersion in precondition: \(version), ResourceVersion in object meta: \(current[path: "metadata", "resourceVersion"]?.stringValue ?? "")",
                           details: ["name": .string(name), "kind": .string(type.plural)])
        }
        let grace = (options["gracePeriodSeconds"]?.intValue ?? request.query["gracePeriodSeconds"].flatMap { Int64($0) }).map(Int.init)
        switch type {
        case .pods:
            return try await kubelet.delete(current, gracePeriodSeconds: grace)
        case .namespaces:
            if ["default", "kube-system", "kube-public", "kube-node-lease"].contains(name) {
                throw APIError(code: 403, reason: "Forbidden", message: "namespaces \"\(name)\" is forbidden: this namespace may not be deleted")
            }
            for resource in ServedResource.all.map(\.type) where resource.namespaced {
                for object in await store.all(resource) where object[path: "metadata", "namespace"]?.stringValue == name {
                    let objectName = object[path: "metadata", "name"]?.stringValue ?? ""
                    if resource == .pods { _ = try? await kubelet.delete(object, gracePeriodSeconds: 0) }
                    else { _ = try? await store.remove(resource, namespace: name, name: objectName) }
                }
            }
            return try await store.remove(type, namespace: nil, name: name)
        default:
            return try await deleteWithPropagation(type, current: current, options: options, request)
        }
    }
}
