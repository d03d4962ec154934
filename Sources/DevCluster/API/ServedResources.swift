import JSONValue
import Foundation
import KubeAPI

/// The resources this cluster serves, with what discovery says about them.
struct ServedResource: Sendable {
    var type: ResourceType
    var singular: String
    var shortNames: [String]
    var subresources: [String]
    var readOnly: Bool = false

    static let all: [ServedResource] = [
        ServedResource(type: .namespaces, singular: "namespace", shortNames: ["ns"], subresources: ["status"]),
        ServedResource(type: .pods, singular: "pod", shortNames: ["po"], subresources: ["status", "log"]),
        ServedResource(type: .events, singular: "event", shortNames: ["ev"], subresources: []),
        ServedResource(type: .configMaps, singular: "configmap", shortNames: ["cm"], subresources: []),
        ServedResource(type: .secrets, singular: "secret", shortNames: [], subresources: []),
        ServedResource(type: .serviceAccounts, singular: "serviceaccount", shortNames: ["sa"], subresources: []),
        ServedResource(type: .nodes, singular: "node", shortNames: ["no"], subresources: ["status"], readOnly: true),
        ServedResource(type: .leases, singular: "lease", shortNames: [], subresources: []),
    ]

    static func find(group: String, version: String, plural: String) -> ServedResource? {
        all.first { $0.type.group == group && $0.type.version == version && $0.type.plural == plural }
    }

    var verbs: [JSONValue] {
        readOnly ? ["get", "list", "watch"] : ["create", "delete", "get", "list", "patch", "update", "watch"]
    }

    var discoveryEntries: [JSONValue] {
        var entries: [JSONValue] = [[
            "name": .string(type.plural), "singularName": .string(singular), "namespaced": .bool(type.namespaced),
            "kind": .string(type.kind), "verbs": .array(verbs), "shortNames": .array(shortNames.map { .string($0) }),
        ]]
        if type == .pods { entries[0]["categories"] = ["all"] }
        for sub in subresources {
            let verbs: [JSONValue] = sub == "log" ? ["get"] : ["get", "patch", "update"]
            entries.append([
                "name": .string("\(type.plural)/\(sub)"), "singularName": "", "namespaced": .bool(type.namespaced),
                "kind": .string(sub == "log" ? "Pod" : type.kind), "verbs": .array(verbs),
            ])
        }
        return entries
    }
}

enum Discovery {
    static func version() -> JSONValue {
        [
            "major": "1", "minor": "32", "gitVersion": "v1.32.0-devcluster", "gitCommit": "devcluster", "gitTreeState": "clean",
            "buildDate": "2026-01-01T00:00:00Z", "goVersion": "n/a", "compiler": "swift", "platform": "linux/amd64",
        ]
    }

    static func coreVersions(address: String) -> JSONValue {
        ["kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(address)]]]
    }

    static let groups: [(name: String, version: String)] = [("coordination.k8s.io", "v1"), ("authorization.k8s.io", "v1")]

    static func groupEntry(_ group: String, _ version: String) -> JSONValue {
        let gv = JSONValue.object(["groupVersion": .string("\(group)/\(version)"), "version": .string(version)])
        return ["name": .string(group), "versions": [gv], "preferredVersion": gv]
    }

    static func groupList() -> JSONValue {
        ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups.map { groupEntry($0.name, $0.version) })]
    }

    static func group(_ name: String) -> JSONValue? {
        guard let found = groups.first(where: { $0.name == name }) else { return nil }
        var entry = groupEntry(found.name, found.version)
        entry["kind"] = "APIGroup"
        entry["apiVersion"] = "v1"
        return entry
    }

    static func resourceList(group: String, version: String) -> JSONValue? {
        let groupVersion = group.isEmpty ? version : "\(group)/\(version)"
        var resources = ServedResource.all.filter { $0.type.group == group && $0.type.version == version }.flatMap(\.discoveryEntries)
        if group == "authorization.k8s.io" {
            resources = [
                ["name": "selfsubjectaccessreviews", "singularName": "selfsubjectaccessreview", "namespaced": false, "kind": "SelfSubjectAccessReview", "verbs": ["create"]],
                ["name": "selfsubjectrulesreviews", "singularName": "selfsubjectrulesreview", "namespaced": false, "kind": "SelfSubjectRulesReview", "verbs": ["create"]],
            ]
        }
        guard !resources.isEmpty else { return nil }
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion), "resources": .array(resources)]
    }
}
