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
        ServedResource(type: .serviceAccounts, singular: "serviceaccount", shortNames: ["sa"], subresources: ["token"]),
        ServedResource(type: .nodes, singular: "node", shortNames: ["no"], subresources: ["status"], readOnly: true),
        ServedResource(type: .leases, singular: "lease", shortNames: [], subresources: []),
        ServedResource(type: .jobs, singular: "job", shortNames: [], subresources: ["status"]),
        ServedResource(type: .roles, singular: "role", shortNames: [], subresources: []),
        ServedResource(type: .roleBindings, singular: "rolebinding", shortNames: [], subresources: []),
        ServedResource(type: .clusterRoles, singular: "clusterrole", shortNames: [], subresources: []),
        ServedResource(type: .clusterRoleBindings, singular: "clusterrolebinding", shortNames: [], subresources: []),
        ServedResource(type: .services, singular: "service", shortNames: ["svc"], subresources: ["status"]),
        ServedResource(type: .deployments, singular: "deployment", shortNames: ["deploy"], subresources: ["status", "scale"]),
        ServedResource(type: .replicaSets, singular: "replicaset", shortNames: ["rs"], subresources: ["status", "scale"]),
        ServedResource(type: .podDisruptionBudgets, singular: "poddisruptionbudget", shortNames: ["pdb"], subresources: ["status"]),
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
        if [.pods, .jobs, .services, .deployments, .replicaSets].contains(type) { entries[0]["categories"] = ["all"] }
        for sub in subresources {
            if sub == "token" {
                // The TokenRequest API: another group's kind, create only.
                entries.append([
                    "name": .string("\(type.plural)/token"), "singularName": "", "namespaced": .bool(type.namespaced),
                    "group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest", "verbs": ["create"],
                ])
                continue
            }
            if sub == "scale" {
                // The scale subresource speaks autoscaling/v1 Scale (apps/v1 types.go `+genclient:method=GetScale`).
                entries.append([
                    "name": .string("\(type.plural)/scale"), "singularName": "", "namespaced": true,
                    "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"],
                ])
                continue
            }
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

    static let groups: [(name: String, version: String)] = [
        ("apps", "v1"), ("batch", "v1"), ("coordination.k8s.io", "v1"), ("policy", "v1"), ("rbac.authorization.k8s.io", "v1"), ("authentication.k8s.io", "v1"), ("authorization.k8s.io", "v1"),
    ]
    /// Groups that serve only create-only reviews (no stored kinds, no OpenAPI for kubectl apply).
    static let reviewGroups: Set<String> = ["authentication.k8s.io", "authorization.k8s.io"]

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
        if reviewGroups.contains(group) {
            resources = ClusterAPI.reviewKinds.filter { $0.value.group == group }.sorted { $0.key < $1.key }.map { plural, known in
                ["name": .string(plural), "singularName": .string(String(plural.dropLast())), "namespaced": false,
                 "kind": .string(known.kind), "verbs": ["create"]]
            }
        }
        guard !resources.isEmpty else { return nil }
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion), "resources": .array(resources)]
    }
}
