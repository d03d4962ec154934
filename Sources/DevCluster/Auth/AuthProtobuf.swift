import Foundation
import JSONValue

/// The kinds kubectl's typed clients send as protobuf for accounts and authorization: `create
/// serviceaccount|role|rolebinding|clusterrole|clusterrolebinding`, `create token` (TokenRequest),
/// `auth can-i` (SelfSubjectAccessReview, SelfSubjectRulesReview), `auth whoami` (SelfSubjectReview).
/// Field numbers from k8s.io/api core/v1, rbac/v1, authentication/v1 and authorization/v1 generated.proto.
enum AuthProtobuf {
    typealias Field = (Int, Int, [UInt8], UInt64)

    static func decode(kind: String, message: [Field], into object: JSONValue) -> JSONValue? {
        var object = object
        func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
        switch kind {
        case "ServiceAccount":
            var secrets: [JSONValue] = [], pullSecrets: [JSONValue] = []
            for (field, _, payload, value) in message {
                switch field {
                case 1: object["metadata"] = ProtobufBody.objectMeta(payload)
                case 2: secrets.append(strings(payload, [1: "kind", 2: "namespace", 3: "name", 4: "uid", 5: "apiVersion"]))
                case 3: pullSecrets.append(strings(payload, [1: "name"]))
                case 4: object["automountServiceAccountToken"] = .bool(value != 0)
                default: break
                }
            }
            if !secrets.isEmpty { object["secrets"] = .array(secrets) }
            if !pullSecrets.isEmpty { object["imagePullSecrets"] = .array(pullSecrets) }
        case "Role", "ClusterRole":
            var rules: [JSONValue] = []
            for (field, _, payload, _) in message {
                switch field {
                case 1: object["metadata"] = ProtobufBody.objectMeta(payload)
                case 2: rules.append(lists(payload, [1: "verbs", 2: "apiGroups", 3: "resources", 4: "resourceNames", 5: "nonResourceURLs"]))
                default: break
                }
            }
            object["rules"] = .array(rules)
        case "RoleBinding", "ClusterRoleBinding":
            var subjects: [JSONValue] = []
            for (field, _, payload, _) in message {
                switch field {
                case 1: object["metadata"] = ProtobufBody.objectMeta(payload)
                case 2: subjects.append(strings(payload, [1: "kind", 2: "apiGroup", 3: "name", 4: "namespace"], keepEmpty: [2]))
                case 3: object["roleRef"] = strings(payload, [1: "apiGroup", 2: "kind", 3: "name"], keepEmpty: [1, 2, 3])
                default: break
                }
            }
            if !subjects.isEmpty { object["subjects"] = .array(subjects) }
        case "TokenRequest":
            for (field, _, payload, _) in message {
                switch field {
                case 1: object["metadata"] = ProtobufBody.objectMeta(payload)
                case 2:
                    var spec: JSONValue = [:]
                    var audiences: [JSONValue] = []
                    for (specField, _, specPayload, specValue) in ProtobufBody.fields(payload) ?? [] {
                        switch specField {
                        case 1: audiences.append(.string(text(specPayload)))
                        case 3: spec["boundObjectRef"] = strings(specPayload, [1: "kind", 2: "apiVersion", 3: "name", 4: "uid"])
                        case 4: spec["expirationSeconds"] = .int(Int64(bitPattern: specValue))
                        default: break
                        }
                    }
                    spec["audiences"] = .array(audiences)
                    object["spec"] = spec
                default: break
                }
            }
        case "SelfSubjectAccessReview", "SubjectAccessReview":
            for (field, _, payload, _) in message {
                switch field {
                case 1: object["metadata"] = ProtobufBody.objectMeta(payload)
                case 2:
                    var spec: JSONValue = [:]
                    var groups: [JSONValue] = []
                    for (specField, _, specPayload, _) in ProtobufBody.fields(payload) ?? [] {
                        switch specField {
                        case 1: spec["resourceAttributes"] = strings(specPayload, [
                            1: "namespace", 2: "verb", 3: "group", 4: "version", 5: "resource", 6: "subresource", 7: "name",
                        ])
                        case 2: spec["nonResourceAttributes"] = strings(specPayload, [1: "path", 2: "verb"])
                        case 3: spec["user"] = .string(text(specPayload))
                        case 4: groups.append(.string(text(specPayload)))
                        case 6: spec["uid"] = .string(text(specPayload))
                        default: break
                        }
                    }
                    if !groups.isEmpty { spec["groups"] = .array(groups) }
                    object["spec"] = spec
                default: break
                }
            }
        case "SelfSubjectRulesReview":
            for (field, _, payload, _) in message {
                switch field {
                case 1: object["metadata"] = ProtobufBody.objectMeta(payload)
                case 2: object["spec"] = strings(payload, [1: "namespace"])
                default: break
                }
            }
        case "SelfSubjectReview":
            for (field, _, payload, _) in message where field == 1 { object["metadata"] = ProtobufBody.objectMeta(payload) }
        default:
            return nil
        }
        return object
    }

    /// A message of string fields; unset ones are left out unless listed in `keepEmpty`.
    static func strings(_ bytes: [UInt8], _ names: [Int: String], keepEmpty: Set<Int> = []) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for number in keepEmpty { if let name = names[number] { object[name] = "" } }
        for (field, _, payload, _) in ProtobufBody.fields(bytes) ?? [] {
            if let name = names[field] { object[name] = .string(String(decoding: payload, as: UTF8.self)) }
        }
        return .object(object)
    }

    /// A message of repeated string fields.
    static func lists(_ bytes: [UInt8], _ names: [Int: String]) -> JSONValue {
        var object: [String: [JSONValue]] = [:]
        for (field, _, payload, _) in ProtobufBody.fields(bytes) ?? [] {
            if let name = names[field] { object[name, default: []].append(.string(String(decoding: payload, as: UTF8.self))) }
        }
        return .object(object.mapValues(JSONValue.array))
    }
}
