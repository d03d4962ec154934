import DevCluster
import DevClusterTesting
import Foundation
import HTTPClient
import JSONValue
import KubeAPI
import Testing

/// Authentication and RBAC over HTTPS, as clients see them: the bodies are the ones a kube-apiserver
/// answers (sources cited per test).
@Suite(.timeLimit(.minutes(3))) struct AuthenticationAndRBACTests {
    static let podReader: [JSONValue] = [
        ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": ["name": "pod-reader", "namespace": "default"],
         "rules": [["apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]],
                   ["apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": ["mine"], "verbs": ["get", "update"]]]],
        ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": ["name": "pod-reader", "namespace": "default"],
         "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"],
         "subjects": [["kind": "ServiceAccount", "name": "reader", "namespace": "default"]]],
    ]

    /// TokenRequest (kubernetes pkg/registry/core/serviceaccount/storage/token.go `Create`; default one
    /// hour: pkg/apis/authentication/v1/defaults.go; minimum ten minutes: pkg/apis/authentication/
    /// validation `ValidateTokenRequest`): 201 with `status.token` and a whole-second
    /// `status.expirationTimestamp`; unknown accounts 404; too short 422.
    @Test func tokenRequestIssuesTokensForServiceAccounts() async throws {
        try await withCluster { cluster, kube in
            let request: JSONValue = ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": [:]]
            let issued = try await clusterRequest(cluster, "/api/v1/namespaces/default/serviceaccounts/default/token", method: .post, body: request)
            #expect(issued.status == 201)
            let review = try JSONValue.decode(issued.body)
            #expect(review["kind"] == "TokenRequest" && review["apiVersion"] == "authentication.k8s.io/v1")
            #expect(review[path: "metadata", "name"] == "default" && review[path: "metadata", "namespace"] == "default")
            #expect(review[path: "spec", "expirationSeconds"] == 3600)
            #expect(review[path: "spec", "audiences"] == ["https://kubernetes.default.svc.cluster.local"])
            let token = try #require(review[path: "status", "token"]?.stringValue)
            let expiry = try #require(review[path: "status", "expirationTimestamp"]?.stringValue)
            #expect(expiry.count == 20 && expiry.hasSuffix("Z"), "metav1.Time: whole seconds, \(expiry)")
            let seconds = (KubeTime.parse(expiry)?.timeIntervalSinceNow ?? 0)
            #expect(seconds > 3590 && seconds <= 3600)
            // The token works, as the account's user.
            let whoami = try await clusterRequest(cluster, "/apis/authentication.k8s.io/v1/selfsubjectreviews", method: .post,
                                                  body: ["apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"], token: token)
            #expect(whoami.status == 201)
            #expect(try JSONValue.decode(whoami.body)[path: "status", "userInfo"] == [
                "username": "system:serviceaccount:default:default",
                "groups": ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"],
                "uid": .string(try await kube.get(.serviceAccounts, namespace: "default", name: "default")[path: "metadata", "uid"]?.stringValue ?? ""),
            ])

            let missing = try await clusterRequest(cluster, "/api/v1/namespaces/default/serviceaccounts/nope/token", method: .post, body: request)
            #expect(missing.status == 404)
            #expect(try JSONValue.decode(missing.body)["message"] == "serviceaccounts \"nope\" not found")
            var short = request
            short[path: "spec", "expirationSeconds"] = 300
            let tooShort = try await clusterRequest(cluster, "/api/v1/namespaces/default/serviceaccounts/default/token", method: .post, body: short)
            #expect(tooShort.status == 422)
            #expect(try JSONValue.decode(tooShort.body)["message"]
                == "TokenRequest.authentication.k8s.io \"default\" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes")
            let get = try await clusterRequest(cluster, "/api/v1/namespaces/default/serviceaccounts/default/token")
            #expect(get.status == 405)
        }
    }

    /// An unknown token, or the token of a deleted ServiceAccount, is 401 with the Status
    /// `NewUnauthorized("Unauthorized")` (apiserver pkg/endpoints/filters/authentication.go `Unauthorized`).
    @Test func unknownAndRevokedTokensAre401() async throws {
        try await withCluster { cluster, kube in
            let reader = try await serviceAccountIdentity(cluster, admin: kube, namespace: "default", name: "reader")
            let unauthorized: JSONValue = ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
                                           "message": "Unauthorized", "reason": "Unauthorized", "code": 401]
            let unknown = try await clusterRequest(cluster, "/api/v1/namespaces/default/pods", token: "not-a-token")
            #expect(try unknown.status == 401 && (JSONValue.decode(unknown.body)) == unauthorized)
            #expect(try await clusterRequest(cluster, "/version", token: reader.token).status == 200)
            try await kube.delete(.serviceAccounts, namespace: "default", name: "reader")
            let revoked = try await clusterRequest(cluster, "/version", token: reader.token)
            #expect(try revoked.status == 401 && (JSONValue.decode(revoked.body)) == unauthorized)
            // A new account of the same name is another uid: the old token stays dead.
            try await createObjects([["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "reader", "namespace": "default"]]], admin: kube)
            #expect(try await clusterRequest(cluster, "/version", token: reader.token).status == 401)
        }
    }

    /// A ServiceAccount can do what its bindings grant and nothing else; denials are the apiserver's 403
    /// (responsewriters/errors.go `forbiddenMessage`), and every decision lands in the access log.
    @Test func serviceAccountsGetWhatTheirRoleGrantsAndTheUpstream403Otherwise() async throws {
        try await withCluster { cluster, kube in
            let reader = try await serviceAccountIdentity(cluster, admin: kube, namespace: "default", name: "reader")
            let user = reader.username
            let denied = try await clusterRequest(cluster, "/api/v1/namespaces/default/pods", token: reader.token)
            #expect(denied.status == 403)
            #expect(try JSONValue.decode(denied.body) == [
                "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
                "message": .string("pods is forbidden: User \"\(user)\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\""),
                "reason": "Forbidden", "details": ["kind": "pods"], "code": 403,
            ])
            try await createObjects(Self.podReader, admin: kube)
            _ = try await kube.create(.pods, namespace: "default", podManifest("web"))
            #expect(try await reader.client.list(.pods, namespace: "default").items.count == 1)
            #expect(PodView(try await reader.client.get(.pods, namespace: "default", name: "web")).name == "web")
            // Watching is its own verb, granted here too.
            let watch = try await clusterRequest(cluster, "/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1", token: reader.token)
            #expect(watch.status == 200)
            // pods does not cover pods/log.
            let log = try await clusterRequest(cluster, "/api/v1/namespaces/default/pods/web/log", token: reader.token)
            #expect(log.status == 403)
            #expect(try JSONValue.decode(log.body)["message"]
                == .string("pods \"web\" is forbidden: User \"\(user)\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"default\""))
            #expect(try JSONValue.decode(log.body)["details"] == ["name": "web", "kind": "pods"])
            // Another namespace, the cluster scope, another verb.
            await expectKubeError(.forbidden) { _ = try await reader.client.list(.pods, namespace: "kube-system") }
            let nodes = try await clusterRequest(cluster, "/api/v1/nodes", token: reader.token)
            #expect(try JSONValue.decode(nodes.body)["message"]
                == .string("nodes is forbidden: User \"\(user)\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"))
            await expectKubeError(.forbidden) { try await reader.client.delete(.pods, namespace: "default", name: "web") }
            // resourceNames: the named lease only, and never a create.
            await expectKubeError(.notFound) { _ = try await reader.client.get(.leases, namespace: "default", name: "mine") }
            await expectKubeError(.forbidden) { _ = try await reader.client.get(.leases, namespace: "default", name: "theirs") }
            let createLease = try await clusterRequest(cluster, "/apis/coordination.k8s.io/v1/namespaces/default/leases", method: .post,
                                                       body: ["metadata": ["name": "mine"], "spec": [:]], token: reader.token)
            #expect(try JSONValue.decode(createLease.body)["message"]
                == .string("leases.coordination.k8s.io is forbidden: User \"\(user)\" cannot create resource \"leases\" in API group \"coordination.k8s.io\" in the namespace \"default\""))
            // Discovery and /version for every authenticated user (bootstrap system:discovery).
            for path in ["/api", "/api/v1", "/apis", "/apis/coordination.k8s.io/v1", "/version", "/openapi/v3"] {
                #expect(try await clusterRequest(cluster, path, token: reader.token).status == 200, "\(path)")
            }

            let log0 = cluster.accessLog(user: user)
            func seen(_ verb: String, _ resource: String, sub: String = "", group: String = "", namespace: String = "default", name: String = "", allowed: Bool) -> Bool {
                log0.keys.contains(AccessRecord(verb: verb, apiGroup: group, resource: resource, subresource: sub, namespace: namespace, name: name, allowed: allowed))
            }
            #expect(seen("list", "pods", allowed: false) && seen("list", "pods", allowed: true) && seen("watch", "pods", allowed: true))
            #expect(seen("get", "pods", sub: "log", name: "web", allowed: false) && seen("list", "nodes", namespace: "", allowed: false))
            #expect(seen("get", "leases", group: "coordination.k8s.io", name: "mine", allowed: true))
            #expect(seen("get", "leases", group: "coordination.k8s.io", name: "theirs", allowed: false))
            #expect(seen("create", "leases", group: "coordination.k8s.io", allowed: false))
            #expect(log0.keys.contains(AccessRecord(verb: "get", apiGroup: "", resource: "", path: "/version", allowed: true)))
            #expect(cluster.accessLogUsers.contains("devcluster-admin"))
        }
    }

    /// A binding to a Role that does not exist: the denial carries RBAC's reason
    /// (rbac.go `Authorize`: `RBAC: ` + the aggregated resolution errors).
    @Test func bindingToAMissingRoleIsDeniedWithTheResolutionError() async throws {
        try await withCluster { cluster, kube in
            let reader = try await serviceAccountIdentity(cluster, admin: kube, namespace: "default", name: "reader")
            try await createObjects([Self.podReader[1]], admin: kube)
            let denied = try await clusterRequest(cluster, "/api/v1/namespaces/default/pods", token: reader.token)
            #expect(try JSONValue.decode(denied.body)["message"] == .string(
                "pods is forbidden: User \"\(reader.username)\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\": RBAC: role.rbac.authorization.k8s.io \"pod-reader\" not found"))
        }
    }

    /// `kubectl auth can-i` (SelfSubjectAccessReview), `--as` (impersonation), `--list`
    /// (SelfSubjectRulesReview) and SubjectAccessReview for the admin, answered from the same rules
    /// (pkg/registry/authorization/*/rest.go; filters/impersonation `WithImpersonation`).
    @Test func accessReviewsAndImpersonationAnswerTruthfully() async throws {
        try await withCluster { cluster, kube in
            let reader = try await serviceAccountIdentity(cluster, admin: kube, namespace: "default", name: "reader")
            try await createObjects(Self.podReader, admin: kube)
            func ssar(_ attributes: JSONValue, token: String? = nil, asUser: String? = nil) async throws -> JSONValue {
                let response = try await clusterRequest(
                    cluster, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", method: .post,
                    body: ["apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": ["resourceAttributes": attributes]],
                    token: token, headers: asUser.map { [("Impersonate-User", $0)] } ?? [])
                #expect(response.status == 201, "\(response.bodyText)")
                return try JSONValue.decode(response.body)["status"] ?? .null
            }
            let listPods: JSONValue = ["namespace": "default", "verb": "list", "resource": "pods"]
            let createPods: JSONValue = ["namespace": "default", "verb": "create", "resource": "pods"]
            #expect(try await ssar(createPods) == ["allowed": true])
            #expect(try await ssar(listPods, token: reader.token) == [
                "allowed": true, "reason": "RBAC: allowed by RoleBinding \"pod-reader/default\" of Role \"pod-reader\" to ServiceAccount \"reader/default\""])
            #expect(try await ssar(createPods, token: reader.token) == ["allowed": false])
            #expect(try await ssar(createPods, asUser: reader.username) == ["allowed": false])
            #expect(try await ssar(listPods, asUser: reader.username)["allowed"] == true)

            // The admin, impersonating the account, is denied as the account.
            let asReader = try await clusterRequest(cluster, "/api/v1/namespaces/kube-system/pods", headers: [("Impersonate-User", reader.username)])
            #expect(try JSONValue.decode(asReader.body)["message"] == .string(
                "pods is forbidden: User \"\(reader.username)\" cannot list resource \"pods\" in API group \"\" in the namespace \"kube-system\""))
            // The account may not impersonate anyone.
            let impersonating = try await clusterRequest(cluster, "/api/v1/namespaces/default/pods", token: reader.token, headers: [("Impersonate-User", "alice")])
            #expect(impersonating.status == 403)
            #expect(try JSONValue.decode(impersonating.body)["message"] == .string(
                "users \"alice\" is forbidden: User \"\(reader.username)\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"))
            let groupsOnly = try await clusterRequest(cluster, "/api/v1/namespaces/default/pods", headers: [("Impersonate-Group", "g")])
            #expect(groupsOnly.status == 400)

            // Exactly one of resourceAttributes and nonResourceAttributes.
            let empty = try await clusterRequest(cluster, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", method: .post,
                                                 body: ["apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": [:]])
            #expect(empty.status == 422)
            #expect(try JSONValue.decode(empty.body)["message"] == .string(
                "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes: Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified"))

            // SubjectAccessReview: the admin may ask about anyone; the account may not ask.
            let sar: JSONValue = ["apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": [
                "user": .string(reader.username), "groups": ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"],
                "resourceAttributes": ["namespace": "default", "verb": "watch", "resource": "pods"]]]
            let answered = try await clusterRequest(cluster, "/apis/authorization.k8s.io/v1/subjectaccessreviews", method: .post, body: sar)
            #expect(try JSONValue.decode(answered.body)[path: "status", "allowed"] == true)
            let forbidden = try await clusterRequest(cluster, "/apis/authorization.k8s.io/v1/subjectaccessreviews", method: .post, body: sar, token: reader.token)
            #expect(forbidden.status == 403)

            // SelfSubjectRulesReview: the Role's rules and the bootstrap ones, nothing more.
            let rules = try await clusterRequest(cluster, "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", method: .post,
                                                 body: ["apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": ["namespace": "default"]],
                                                 token: reader.token)
            let status = try JSONValue.decode(rules.body)["status"] ?? .null
            let resourceRules = status["resourceRules"]?.arrayValue ?? []
            #expect(resourceRules.contains(["verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["pods"]]))
            #expect(resourceRules.contains(["verbs": ["get", "update"], "apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": ["mine"]]))
            #expect(resourceRules.contains(["verbs": ["create"], "apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]]))
            #expect(resourceRules.count == 4)
            #expect(status["incomplete"] == false && status["evaluationError"] == nil)
            let noNamespace = try await clusterRequest(cluster, "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", method: .post,
                                                       body: ["apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": [:]])
            #expect(try noNamespace.status == 400 && (JSONValue.decode(noNamespace.body)["message"]) == "no namespace on request")
        }
    }

    /// The RBAC kinds are served like any other (discovery, CRUD, strict fields, validation) and the
    /// bootstrap policy is there (bootstrappolicy/policy.go).
    @Test func rbacKindsAreServedAndValidated() async throws {
        try await withCluster { cluster, kube in
            let groups = try JSONValue.decode(try await clusterRequest(cluster, "/apis").body)
            let names = groups["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("rbac.authorization.k8s.io") && names.contains("authentication.k8s.io"))
            let rbac = try JSONValue.decode(try await clusterRequest(cluster, "/apis/rbac.authorization.k8s.io/v1").body)
            #expect(Set(rbac["resources"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []) == ["roles", "rolebindings", "clusterroles", "clusterrolebindings"])
            let core = try JSONValue.decode(try await clusterRequest(cluster, "/api/v1").body)
            let token = core["resources"]?.arrayValue?.first { $0["name"] == "serviceaccounts/token" }
            #expect(token?["kind"] == "TokenRequest" && token?["group"] == "authentication.k8s.io" && token?["verbs"] == ["create"])
            let clusterRoles = try await kube.list(ResourceType.served(kind: "ClusterRole")!, namespace: nil).items.compactMap { $0[path: "metadata", "name"]?.stringValue }
            #expect(Set(clusterRoles) == ["cluster-admin", "system:discovery", "system:basic-user", "system:public-info-viewer"])

            let roles = ResourceType.served(kind: "Role")!
            let strict = try await clusterRequest(cluster, "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles?fieldValidation=Strict", method: .post,
                                                  body: ["metadata": ["name": "r"], "rulez": []])
            #expect(try JSONValue.decode(strict.body)["message"] == "Role in version \"v1\" cannot be handled as a Role: strict decoding error: unknown field \"rulez\"")
            let invalid = try await clusterRequest(cluster, "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles", method: .post,
                                                   body: ["metadata": ["name": "r"], "rules": [["apiGroups": [""], "resources": ["pods"]]]])
            #expect(invalid.status == 422)
            #expect(try JSONValue.decode(invalid.body)["message"] == "Role.rbac.authorization.k8s.io \"r\" is invalid: rules[0].verbs: Required value: verbs must contain at least one value")
            _ = try await kube.create(roles, namespace: "default", ["metadata": ["name": "ns:colons-ok"], "rules": []])
            let binding = try await kube.create(ResourceType.served(kind: "RoleBinding")!, namespace: "default", [
                "metadata": ["name": "b"], "roleRef": ["kind": "Role", "name": "ns:colons-ok"], "subjects": [["kind": "User", "name": "alice"]]])
            #expect(binding[path: "roleRef", "apiGroup"] == "rbac.authorization.k8s.io")
            #expect(binding["subjects"]?[0]?["apiGroup"] == "rbac.authorization.k8s.io")
        }
    }
}
