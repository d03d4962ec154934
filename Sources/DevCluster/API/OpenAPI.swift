import JSONValue
import Foundation
import KubeAPI

/// Just enough OpenAPI v3 for kubectl: per group-version a document whose PATCH operations carry
/// `x-kubernetes-group-version-kind` and a `fieldValidation` query parameter, which is how kubectl
/// decides to let the server validate (`--validate=strict` sends `fieldValidation=Strict`).
enum OpenAPI {
    static let documentHash = "devcluster1"

    static func root() -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for gv in groupVersions() {
            paths[gv.path] = ["serverRelativeURL": .string("/openapi/v3/\(gv.path)?hash=\(documentHash)")]
        }
        return ["paths": .object(paths)]
    }

    static func groupVersions() -> [(path: String, group: String, version: String)] {
        var result: [(String, String, String)] = [("api/v1", "", "v1")]
        for group in Discovery.groups where !Discovery.reviewGroups.contains(group.name) {
            result.append(("apis/\(group.name)/\(group.version)", group.name, group.version))
        }
        return result
    }

    static func document(path: String) -> JSONValue? {
        guard let gv = groupVersions().first(where: { $0.path == path }) else { return nil }
        var paths: [String: JSONValue] = [:]
        var schemas: [String: JSONValue] = [:]
        let parameters: [JSONValue] = ["dryRun", "fieldManager", "fieldValidation", "force", "pretty"].map {
            ["name": .string($0), "in": "query", "schema": ["type": .string($0 == "force" ? "boolean" : "string"), "uniqueItems": true]]
        }
        for served in ServedResource.all where served.type.group == gv.group && served.type.version == gv.version {
            let type = served.type
            let gvk: JSONValue = ["group": .string(type.group), "version": .string(type.version), "kind": .string(type.kind)]
            let schemaName = "io.k8s.api.\(type.group.isEmpty ? "core" : type.group.split(separator: ".").first.map(String.init) ?? "x").\(type.version).\(type.kind)"
            schemas[schemaName] = [
                "type": "object", "description": .string("\(type.kind) served by devcluster"),
                "x-kubernetes-group-version-kind": [gvk],
                "properties": [
                    "apiVersion": ["type": "string"], "kind": ["type": "string"], "metadata": ["type": "object"],
                    "spec": ["type": "object"], "status": ["type": "object"],
                ],
            ]
            let body: JSONValue = ["content": ["application/json": ["schema": ["$ref": .string("#/components/schemas/\(schemaName)")]]]]
            let response: JSONValue = ["200": ["description": "OK", "content": ["application/json": ["schema": ["$ref": .string("#/components/schemas/\(schemaName)")]]]]]
            func operation(_ action: String) -> JSONValue {
                ["operationId": .string("\(action)\(type.kind)"), "x-kubernetes-action": .string(action), "x-kubernetes-group-version-kind": gvk,
                 "parameters": .array(parameters), "requestBody": body, "responses": response]
            }
            let base = "/" + gv.path + (type.namespaced ? "/namespaces/{namespace}" : "") + "/\(type.plural)"
            paths[base] = ["post": operation("post"), "get": operation("list")]
            paths[base + "/{name}"] = ["get": operation("get"), "put": operation("put"), "patch": operation("patch"), "delete": operation("delete")]
        }
        return [
            "openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.32.0-devcluster"],
            "paths": .object(paths), "components": ["schemas": .object(schemas)],
        ]
    }
}
