@testable import DevCluster
import Foundation
import JSONValue
import KubeAPI
import Testing

/// The authorization rules, one table per upstream function, each row with the answer a real
/// kube-apiserver gives (read from the source named on each test).
@Suite(.timeLimit(.minutes(3))) struct AuthorizationRulesTests {
    static let sa = UserInfo.serviceAccount(namespace: "ns", name: "sa")

    /// k8s.io/apiserver pkg/endpoints/request/requestinfo.go `NewRequestInfo`: method -> verb, `get`
    /// without a name -> list/watch (any `watch` value but false/0 watches), `delete` without a name ->
    /// deletecollection, `/watch/` prefix, namespace subresources, a `metadata.name=` field selector names
    /// a list, paths outside /api and /apis or shorter than a resource are non-resource requests.
    @Test func requestAttributesAsNewRequestInfo() {
        // (method, path, query) -> (verb, resource request?, group, namespace, resource, subresource, name)
        let rows: [(String, String, [String: String], String, Bool, String, String, String, String, String)] = [
            ("GET", "/api/v1/namespaces/ns/pods", [:], "list", true, "", "ns", "pods", "", ""),
            ("GET", "/api/v1/namespaces/ns/pods", ["watch": "true"], "watch", true, "", "ns", "pods", "", ""),
            ("GET", "/api/v1/namespaces/ns/pods", ["watch": "1"], "watch", true, "", "ns", "pods", "", ""),
            ("GET", "/api/v1/namespaces/ns/pods", ["watch": "false"], "list", true, "", "ns", "pods", "", ""),
            ("GET", "/api/v1/namespaces/ns/pods", ["watch": "0"], "list", true, "", "ns", "pods", "", ""),
            ("GET", "/api/v1/namespaces/ns/pods", ["fieldSelector": "metadata.name=web"], "list", true, "", "ns", "pods", "", "web"),
            ("GET", "/api/v1/namespaces/ns/pods", ["fieldSelector": "metadata.name==web,status.phase=Running", "watch": "true"], "watch", true, "", "ns", "pods", "", "web"),
            ("GET", "/api/v1/namespaces/ns/events", ["fieldSelector": "involvedObject.name=web,type=Warning"], "list", true, "", "ns", "events", "", ""),
            ("GET", "/api/v1/pods", [:], "list", true, "", "", "pods", "", ""),
            ("GET", "/api/v1/namespaces/ns/pods/web", [:], "get", true, "", "ns", "pods", "", "web"),
            ("HEAD", "/api/v1/namespaces/ns/pods/web", [:], "get", true, "", "ns", "pods", "", "web"),
            ("GET", "/api/v1/namespaces/ns/pods/web/log", [:], "get", true, "", "ns", "pods", "log", "web"),
            ("POST", "/api/v1/namespaces/ns/pods", [:], "create", true, "", "ns", "pods", "", ""),
            ("POST", "/api/v1/namespaces/ns/pods", ["dryRun": "All", "fieldValidation": "Strict"], "create", true, "", "ns", "pods", "", ""),
            ("POST", "/api/v1/namespaces/ns/serviceaccounts/sa/token", [:], "create", true, "", "ns", "serviceaccounts", "token", "sa"),
            ("PUT", "/apis/coordination.k8s.io/v1/namespaces/ns/leases/l", [:], "update", true, "coordination.k8s.io", "ns", "leases", "", "l"),
            ("PATCH", "/api/v1/namespaces/ns/pods/web", [:], "patch", true, "", "ns", "pods", "", "web"),
            ("PUT", "/api/v1/namespaces/ns/pods/web/status", [:], "update", true, "", "ns", "pods", "status", "web"),
            ("DELETE", "/apis/batch/v1/namespaces/ns/jobs/j", [:], "delete", true, "batch", "ns", "jobs", "", "j"),
            ("DELETE", "/api/v1/namespaces/ns/pods", [:], "deletecollection", true, "", "ns", "pods", "", ""),
            ("OPTIONS", "/api/v1/namespaces/ns/pods", [:], "", true, "", "ns", "pods", "", ""),
            ("GET", "/api/v1/namespaces/ns", [:], "get", true, "", "ns", "namespaces", "", "ns"),
            ("PUT", "/api/v1/namespaces/ns/finalize", [:], "update", true, "", "ns", "namespaces", "finalize", "ns"),
            ("GET", "/api/v1/namespaces", [:], "list", true, "", "", "namespaces", "", ""),
            ("GET", "/api/v1/watch/namespaces/ns/pods", [:], "watch", true, "", "ns", "pods", "", ""),
            ("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/view", [:], "get", true, "rbac.authorization.k8s.io", "", "clusterroles", "", "view"),
            ("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", [:], "create", true, "authorization.k8s.io", "", "selfsubjectaccessreviews", "", ""),
            ("GET", "/version", [:], "get", false, "", "", "", "", ""),
            ("GET", "/api", [:], "get", false, "", "", "", "", ""),
            ("GET", "/api/v1", [:], "get", false, "", "", "", "", ""),
            ("GET", "/apis/batch/v1", [:], "get", false, "", "", "", "", ""),
            ("GET", "/openapi/v3/api/v1", [:], "get", false, "", "", "", "", ""),
            ("POST", "/metrics", [:], "post", false, "", "", "", "", ""),
        ]
        for (method, path, query, verb, isResource, group, namespace, resource, subresource, name) in rows {
            let a = RequestAttributes.from(method: method, path: path, query: query, user: Self.sa)
            let got = [a.verb, a.apiGroup, a.namespace, a.resource, a.subresource, a.name]
            #expect(got == [verb, group, namespace, resource, subresource, name] && a.isResourceRequest == isResource, "\(method) \(path) \(query)")
            #expect(a.path == path)
        }
    }

    /// kubernetes pkg/apis/rbac/v1/evaluation_helpers.go `VerbMatches`, `APIGroupMatches`,
    /// `ResourceMatches`, `ResourceNameMatches`, `NonResourceURLMatches`, combined by
    /// plugin/pkg/auth/authorizer/rbac/rbac.go `RuleAllows`.
    @Test func ruleMatchingAsRuleAllows() {
        func request(_ verb: String, _ resource: String, sub: String = "", group: String = "", name: String = "") -> RequestAttributes {
            RequestAttributes(user: Self.sa, verb: verb, isResourceRequest: true, apiGroup: group, namespace: "ns", resource: resource, subresource: sub, name: name)
        }
        func path(_ verb: String, _ path: String) -> RequestAttributes { RequestAttributes(user: Self.sa, verb: verb, isResourceRequest: false, path: path) }
        let pods = PolicyRule(verbs: ["get", "list"], apiGroups: [""], resources: ["pods"])
        let rows: [(PolicyRule, RequestAttributes, Bool, String)] = [
            (pods, request("list", "pods"), true, "exact verb, core group, resource"),
            (pods, request("watch", "pods"), false, "verb not listed"),
            (pods, request("list", "pods", group: "apps"), false, "\"\" is only the core group"),
            (pods, request("get", "pods", sub: "log", name: "web"), false, "pods does not cover pods/log"),
            (PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods/log"]), request("get", "pods", sub: "log", name: "web"), true, "pods/log exactly"),
            (PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods/log"]), request("get", "pods", name: "web"), false, "pods/log does not cover pods"),
            (PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["*/log"]), request("get", "pods", sub: "log", name: "web"), true, "*/subresource"),
            (PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["*/log"]), request("get", "pods", name: "web"), false, "*/log needs a subresource"),
            (PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods/*"]), request("get", "pods", sub: "log", name: "web"), false, "pods/* is no wildcard"),
            (PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*"]), request("deletecollection", "jobs", group: "batch"), true, "all wildcards"),
            (PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*"]), request("create", "serviceaccounts", sub: "token", name: "sa"), true, "* covers subresources"),
            (PolicyRule(verbs: ["create"], apiGroups: [""], resources: ["serviceaccounts/token"]), request("create", "serviceaccounts", sub: "token", name: "sa"), true, "token subresource"),
            (PolicyRule(verbs: ["get", "update"], apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: ["glue"]),
             request("get", "leases", group: "coordination.k8s.io", name: "glue"), true, "resourceNames: the named object"),
            (PolicyRule(verbs: ["get", "update"], apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: ["glue"]),
             request("get", "leases", group: "coordination.k8s.io", name: "other"), false, "resourceNames: another object"),
            (PolicyRule(verbs: ["list"], apiGroups: [""], resources: ["pods"], resourceNames: ["web"]), request("list", "pods"), false, "resourceNames never match a list of all"),
            (PolicyRule(verbs: ["list"], apiGroups: [""], resources: ["pods"], resourceNames: ["web"]), request("list", "pods", name: "web"), true, "a list narrowed by metadata.name"),
            (PolicyRule(verbs: ["create"], apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: ["glue"]),
             request("create", "leases", group: "coordination.k8s.io"), false, "resourceNames never match a create"),
            (PolicyRule(verbs: ["get"], nonResourceURLs: ["/apis/*"]), path("get", "/apis/batch/v1"), true, "prefix*"),
            (PolicyRule(verbs: ["get"], nonResourceURLs: ["/apis/*"]), path("get", "/apis"), false, "/apis/* needs the slash"),
            (PolicyRule(verbs: ["get"], nonResourceURLs: ["/api/*"]), path("get", "/apis/batch"), false, "/api/ is not a prefix of /apis"),
            (PolicyRule(verbs: ["get"], nonResourceURLs: ["/version"]), path("get", "/version"), true, "exact path"),
            (PolicyRule(verbs: ["get"], nonResourceURLs: ["*"]), path("post", "/metrics"), false, "verb still checked"),
            (PolicyRule(verbs: ["get"], nonResourceURLs: ["/version"]), request("get", "version"), false, "URL rules do not match resources"),
            (pods, path("get", "/api"), false, "resource rules do not match paths"),
        ]
        for (rule, request, expected, why) in rows {
            #expect(rule.allows(request) == expected, "\(why): \(rule) vs \(request.verb) \(request.isResourceRequest ? request.combinedResource : request.path)")
        }
    }

    /// k8s.io/apiserver pkg/endpoints/handlers/responsewriters/errors.go `forbiddenMessage` and
    /// `ForbiddenStatusError`, apimachinery pkg/api/errors/errors.go `NewForbidden`.
    @Test func forbiddenMessagesAsTheApiserverWritesThem() {
        let user = "system:serviceaccount:NS:SA"
        let sa = UserInfo.serviceAccount(namespace: "NS", name: "SA")
        let rows: [(RequestAttributes, String, String, JSONValue)] = [
            (RequestAttributes(user: sa, verb: "list", isResourceRequest: true, namespace: "NS", resource: "pods"), "",
             "pods is forbidden: User \"\(user)\" cannot list resource \"pods\" in API group \"\" in the namespace \"NS\"", ["kind": "pods"]),
            (RequestAttributes(user: sa, verb: "list", isResourceRequest: true, namespace: "NS", resource: "events"), "",
             "events is forbidden: User \"\(user)\" cannot list resource \"events\" in API group \"\" in the namespace \"NS\"", ["kind": "events"]),
            (RequestAttributes(user: sa, verb: "get", isResourceRequest: true, namespace: "default", resource: "pods", subresource: "log", name: "web"), "",
             "pods \"web\" is forbidden: User \"\(user)\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"default\"",
             ["name": "web", "kind": "pods"]),
            (RequestAttributes(user: sa, verb: "list", isResourceRequest: true, resource: "nodes"), "",
             "nodes is forbidden: User \"\(user)\" cannot list resource \"nodes\" in API group \"\" at the cluster scope", ["kind": "nodes"]),
            (RequestAttributes(user: sa, verb: "update", isResourceRequest: true, apiGroup: "coordination.k8s.io", namespace: "NS", resource: "leases", name: "glue"), "",
             "leases.coordination.k8s.io \"glue\" is forbidden: User \"\(user)\" cannot update resource \"leases\" in API group \"coordination.k8s.io\" in the namespace \"NS\"",
             ["name": "glue", "group": "coordination.k8s.io", "kind": "leases"]),
            (RequestAttributes(user: sa, verb: "create", isResourceRequest: true, namespace: "NS", resource: "serviceaccounts", subresource: "token", name: "x"), "",
             "serviceaccounts \"x\" is forbidden: User \"\(user)\" cannot create resource \"serviceaccounts/token\" in API group \"\" in the namespace \"NS\"",
             ["name": "x", "kind": "serviceaccounts"]),
            (RequestAttributes(user: UserInfo(name: "system:anonymous", groups: []), verb: "get", isResourceRequest: false, path: "/metrics"), "",
             "forbidden: User \"system:anonymous\" cannot get path \"/metrics\"", [:]),
            (RequestAttributes(user: sa, verb: "list", isResourceRequest: true, namespace: "NS", resource: "pods"), "RBAC: role.rbac.authorization.k8s.io \"gone\" not found",
             "pods is forbidden: User \"\(user)\" cannot list resource \"pods\" in API group \"\" in the namespace \"NS\": RBAC: role.rbac.authorization.k8s.io \"gone\" not found",
             ["kind": "pods"]),
            (RequestAttributes(user: UserInfo(name: "a<b>&c", groups: []), verb: "get", isResourceRequest: false, path: "/x"), "",
             "forbidden: User \"a&lt;b&gt;&amp;c\" cannot get path \"/x\"", [:]),
        ]
        for (request, reason, message, details) in rows {
            let error = ForbiddenMessage.error(request, reason: reason)
            #expect(error.status == [
                "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure", "message": .string(message),
                "reason": "Forbidden", "details": details, "code": 403,
            ])
        }
    }

    /// kubernetes pkg/registry/rbac/validation/rule.go `VisitRulesFor` and `appliesToUser`,
    /// plugin/pkg/auth/authorizer/rbac/rbac.go `Authorize` (reasons), apiserver authorizerfactory
    /// `privilegedGroupAuthorizer` (system:masters), bootstrappolicy `clusterRoles`/`clusterRoleBindings`.
    @Test func bindingsScopeTheRulesAsVisitRulesFor() async throws {
        let store = ObjectStore()
        try await BootstrapPolicy.seed(store)
        let authorizer = RBACAuthorizer(store: store)
        func put(_ type: ResourceType, _ object: JSONValue) async throws { _ = try await store.insert(type, RBACObjectValidation.defaulted(object, type: type)) }
        try await put(.roles, ["metadata": ["name": "pod-reader", "namespace": "ns"], "rules": [["verbs": ["list"], "apiGroups": [""], "resources": ["pods"]]]])
        try await put(.clusterRoles, ["metadata": ["name": "lease-user"], "rules": [["verbs": ["get"], "apiGroups": ["coordination.k8s.io"], "resources": ["leases"]]]])
        try await put(.clusterRoles, ["metadata": ["name": "node-reader"], "rules": [["verbs": ["list"], "apiGroups": [""], "resources": ["nodes"]]]])
        // A ServiceAccount subject without a namespace means the binding's namespace.
        try await put(.roleBindings, ["metadata": ["name": "rb", "namespace": "ns"], "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"],
                                      "subjects": [["kind": "ServiceAccount", "name": "sa"]]])
        try await put(.roleBindings, ["metadata": ["name": "to-cluster-role", "namespace": "ns"], "roleRef": ["kind": "ClusterRole", "name": "lease-user"],
                                      "subjects": [["kind": "Group", "name": "system:serviceaccounts:ns"]]])
        try await put(.roleBindings, ["metadata": ["name": "dangling", "namespace": "other"], "roleRef": ["kind": "Role", "name": "gone"],
                                      "subjects": [["kind": "ServiceAccount", "name": "sa", "namespace": "ns"]]])
        try await put(.clusterRoleBindings, ["metadata": ["name": "alice-nodes"], "roleRef": ["kind": "ClusterRole", "name": "node-reader"],
                                             "subjects": [["kind": "User", "name": "alice"]]])
        let sa = Self.sa
        let alice = UserInfo(name: "alice", groups: [UserInfo.authenticatedGroup])
        func ask(_ user: UserInfo, _ verb: String, _ resource: String, group: String = "", namespace: String = "", name: String = "") -> RequestAttributes {
            RequestAttributes(user: user, verb: verb, isResourceRequest: true, apiGroup: group, namespace: namespace, resource: resource, name: name)
        }
        func path(_ user: UserInfo, _ path: String) -> RequestAttributes { RequestAttributes(user: user, verb: "get", isResourceRequest: false, path: path) }
        let rows: [(RequestAttributes, AuthorizationDecision)] = [
            (ask(sa, "list", "pods", namespace: "ns"),
             .init(allowed: true, reason: "RBAC: allowed by RoleBinding \"rb/ns\" of Role \"pod-reader\" to ServiceAccount \"sa/ns\"")),
            (ask(sa, "list", "pods", namespace: "elsewhere"), .init(allowed: false, reason: "")),
            (ask(sa, "list", "pods"), .init(allowed: false, reason: "")),
            // A RoleBinding to a ClusterRole grants its rules in the binding's namespace only.
            (ask(sa, "get", "leases", group: "coordination.k8s.io", namespace: "ns", name: "l"),
             .init(allowed: true, reason: "RBAC: allowed by RoleBinding \"to-cluster-role/ns\" of ClusterRole \"lease-user\" to Group \"system:serviceaccounts:ns\"")),
            (ask(sa, "get", "leases", group: "coordination.k8s.io", namespace: "elsewhere", name: "l"), .init(allowed: false, reason: "")),
            // A binding to a missing Role is a resolution error, given as the denial's reason.
            (ask(sa, "list", "pods", namespace: "other"), .init(allowed: false, reason: "RBAC: role.rbac.authorization.k8s.io \"gone\" not found")),
            (ask(alice, "list", "nodes"),
             .init(allowed: true, reason: "RBAC: allowed by ClusterRoleBinding \"alice-nodes\" of ClusterRole \"node-reader\" to User \"alice\"")),
            (ask(alice, "list", "pods", namespace: "ns"), .init(allowed: false, reason: "")),
            // Every authenticated user: discovery, /version, /openapi and self reviews.
            (path(sa, "/apis"), .init(allowed: true, reason: "RBAC: allowed by ClusterRoleBinding \"system:discovery\" of ClusterRole \"system:discovery\" to Group \"system:authenticated\"")),
            (path(sa, "/api/v1"), .init(allowed: true, reason: "RBAC: allowed by ClusterRoleBinding \"system:discovery\" of ClusterRole \"system:discovery\" to Group \"system:authenticated\"")),
            (path(sa, "/openapi/v3/apis/coordination.k8s.io/v1"), .init(allowed: true, reason: "RBAC: allowed by ClusterRoleBinding \"system:discovery\" of ClusterRole \"system:discovery\" to Group \"system:authenticated\"")),
            (path(sa, "/version"), .init(allowed: true, reason: "RBAC: allowed by ClusterRoleBinding \"system:discovery\" of ClusterRole \"system:discovery\" to Group \"system:authenticated\"")),
            (path(sa, "/metrics"), .init(allowed: false, reason: "")),
            (ask(sa, "create", "selfsubjectaccessreviews", group: "authorization.k8s.io"),
             .init(allowed: true, reason: "RBAC: allowed by ClusterRoleBinding \"system:basic-user\" of ClusterRole \"system:basic-user\" to Group \"system:authenticated\"")),
            (ask(sa, "create", "subjectaccessreviews", group: "authorization.k8s.io"), .init(allowed: false, reason: "")),
            // system:masters is allowed before RBAC is asked, with no reason.
            (ask(.admin, "deletecollection", "anything", group: "x", namespace: "y"), .init(allowed: true, reason: "")),
        ]
        for (request, expected) in rows {
            #expect(await authorizer.authorize(request) == expected, "\(request.user.name) \(request.verb) \(request.isResourceRequest ? request.combinedResource : request.path) in \(request.namespace)")
        }
        // RulesFor: cluster bindings first, then the namespace's; resolution errors beside.
        let (rules, errors) = await authorizer.rules(user: sa, namespace: "other")
        #expect(errors == ["role.rbac.authorization.k8s.io \"gone\" not found"])
        #expect(rules.contains(PolicyRule(verbs: ["create"], apiGroups: ["authorization.k8s.io"], resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"])))
        #expect(!rules.contains { $0.resources.contains("pods") })
        #expect(RBACAuthorizer.aggregate(["a", "b", "a"]) == "[a, b]")
    }

    /// apiserver pkg/authentication/serviceaccount/util.go `MakeUsername`, `MakeGroupNames`,
    /// `SplitUsername`.
    @Test func serviceAccountIdentity() {
        #expect(Self.sa.name == "system:serviceaccount:ns:sa")
        #expect(Self.sa.groups == ["system:serviceaccounts", "system:serviceaccounts:ns", "system:authenticated"])
        #expect(UserInfo.splitServiceAccount("system:serviceaccount:ns:sa")! == ("ns", "sa"))
        #expect(UserInfo.splitServiceAccount("system:serviceaccount:ns") == nil)
        #expect(UserInfo.splitServiceAccount("alice") == nil)
        #expect(Authenticator.bearerToken("Bearer abc") == "abc")
        #expect(Authenticator.bearerToken("bearer abc") == "abc")
        #expect(Authenticator.bearerToken("Basic abc") == nil)
        #expect(Authenticator.bearerToken("Bearer ") == nil)
    }

    /// kubernetes pkg/apis/rbac/validation/validation.go `validatePolicyRule`, `ValidateRoleBinding`,
    /// `ValidateClusterRoleBinding`, `validateRoleBindingSubject`; pkg/apis/rbac/v1/defaults.go.
    @Test func rbacObjectValidation() {
        let rows: [(ResourceType, JSONValue, [String])] = [
            (.roles, ["rules": [["apiGroups": [""], "resources": ["pods"], "verbs": ["get"]]]], []),
            (.roles, ["rules": [["apiGroups": [""], "resources": ["pods"]]]], ["rules[0].verbs: Required value: verbs must contain at least one value"]),
            (.roles, ["rules": [["verbs": ["get"], "resources": ["pods"]]]], ["rules[0].apiGroups: Required value: resource rules must supply at least one api group"]),
            (.roles, ["rules": [["verbs": ["get"], "apiGroups": [""]]]], ["rules[0].resources: Required value: resource rules must supply at least one resource"]),
            (.roles, ["rules": [["verbs": ["get"], "apiGroups": [""], "resources": ["pods", "events"], "resourceNames": ["x"]]]],
             ["rules[0].resourceNames: Required value: resource names cannot apply to multiple resources"]),
            (.roles, ["rules": [["verbs": ["get"], "nonResourceURLs": ["/x"]]]], ["rules[0].nonResourceURLs: Invalid value: [\"/x\"]: namespaced rules cannot apply to non-resource URLs"]),
            (.clusterRoles, ["rules": [["verbs": ["get"], "nonResourceURLs": ["/x"]]]], []),
            (.clusterRoles, ["rules": [["verbs": ["get"], "resources": ["pods"], "nonResourceURLs": ["/x"]]]],
             ["rules[0].nonResourceURLs: Invalid value: [\"/x\"]: rules cannot apply to both regular resources and non-resource URLs"]),
            (.roleBindings, ["roleRef": ["kind": "Role", "name": "r"], "subjects": [["kind": "User", "name": "alice"], ["kind": "ServiceAccount", "name": "sa"]]], []),
            (.roleBindings, ["roleRef": ["kind": "Deployment", "name": "r"]], ["roleRef.kind: Unsupported value: \"Deployment\": supported values: \"Role\", \"ClusterRole\""]),
            (.roleBindings, ["roleRef": ["apiGroup": "apps", "kind": "Role", "name": "r"]],
             ["roleRef.apiGroup: Unsupported value: \"apps\": supported values: \"rbac.authorization.k8s.io\""]),
            (.roleBindings, ["roleRef": ["kind": "Role"]], ["roleRef.name: Required value"]),
            (.clusterRoleBindings, ["roleRef": ["kind": "Role", "name": "r"]], ["roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\""]),
            (.clusterRoleBindings, ["roleRef": ["kind": "ClusterRole", "name": "r"], "subjects": [["kind": "ServiceAccount", "name": "sa"]]],
             ["subjects[0].namespace: Required value"]),
            (.roleBindings, ["roleRef": ["kind": "Role", "name": "r"], "subjects": [["kind": "ServiceAccount", "name": "sa", "apiGroup": "rbac.authorization.k8s.io"]]],
             ["subjects[0].apiGroup: Unsupported value: \"rbac.authorization.k8s.io\": supported values: \"\""]),
            (.roleBindings, ["roleRef": ["kind": "Role", "name": "r"], "subjects": [["kind": "Robot", "name": "x"]]],
             ["subjects[0].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\""]),
        ]
        for (type, object, expected) in rows {
            let causes = RBACObjectValidation.check(object, type: type).map { "\($0.field): \($0.message)" }
            #expect(causes == expected, "\(type.kind) \(object)")
        }
        #expect(RBACObjectValidation.nameCauses("system:discovery").isEmpty)
        #expect(RBACObjectValidation.nameCauses("a/b").map(\.message) == ["Invalid value: \"a/b\": may not contain '/'"])
        #expect(RBACObjectValidation.nameCauses("..").map(\.message) == ["Invalid value: \"..\": may not be '..'"])
        let defaulted = RBACObjectValidation.defaulted(["roleRef": ["kind": "Role", "name": "r"], "subjects": [["kind": "Group", "name": "g"], ["kind": "ServiceAccount", "name": "s"]]], type: .roleBindings)
        #expect(defaulted[path: "roleRef", "apiGroup"] == "rbac.authorization.k8s.io")
        #expect(defaulted["subjects"]?[0]?["apiGroup"] == "rbac.authorization.k8s.io")
        #expect(defaulted["subjects"]?[1]?["apiGroup"] == nil)
    }
}
