import Foundation
import JSONValue
import KubeAPI

/// The review APIs `kubectl auth can-i` and `kubectl auth whoami` use, answered from the same
/// authorizer that guards every request:
/// - SelfSubjectAccessReview and SubjectAccessReview (kubernetes pkg/registry/authorization/
///   selfsubjectaccessreview/rest.go, subjectaccessreview/rest.go; validation in
///   pkg/apis/authorization/validation/validation.go),
/// - SelfSubjectRulesReview (pkg/registry/authorization/selfsubjectrulesreview/rest.go: the RBAC rules
///   of the caller in a namespace; resolution errors in `evaluationError`),
/// - SelfSubjectReview (pkg/registry/authentication/selfsubjectreview/rest.go: the caller's user info).
/// Each answers 201 with the request echoed and `status` filled in.
extension ClusterAPI {
    static let reviewKinds: [String: (group: String, kind: String)] = [
        "selfsubjectaccessreviews": ("authorization.k8s.io", "SelfSubjectAccessReview"),
        "subjectaccessreviews": ("authorization.k8s.io", "SubjectAccessReview"),
        "selfsubjectrulesreviews": ("authorization.k8s.io", "SelfSubjectRulesReview"),
        "selfsubjectreviews": ("authentication.k8s.io", "SelfSubjectReview"),
    ]

    func review(group: String, plural: String, _ request: APIRequest) async throws -> JSONValue {
        guard let known = Self.reviewKinds[plural], known.group == group else { throw pathNotFound(request.path) }
        var review = request.body.isEmpty ? JSONValue.object([:]) : try request.decodedBody()
        if let kind = review["kind"]?.stringValue, !kind.isEmpty, kind != known.kind {
            throw APIError.badRequest("the API version in the data (\(review["apiVersion"]?.stringValue ?? "")) does not match the expected API version (\(group)/v1)")
        }
        review["kind"] = .string(known.kind)
        review["apiVersion"] = .string("\(group)/v1")
        if review["metadata"] == nil { review["metadata"] = [:] }
        let spec = review["spec"] ?? [:]
        switch plural {
        case "selfsubjectaccessreviews":
            try checkAttributes(spec, kind: known.kind, requireSubject: false)
            review["status"] = await accessReviewStatus(spec, user: request.user)
        case "subjectaccessreviews":
            try checkAttributes(spec, kind: known.kind, requireSubject: true)
            let subject = UserInfo(name: spec["user"]?.stringValue ?? "",
                                   groups: (spec["groups"]?.arrayValue ?? []).compactMap(\.stringValue), uid: spec["uid"]?.stringValue ?? "")
            review["status"] = await accessReviewStatus(spec, user: subject)
        case "selfsubjectrulesreviews":
            guard let namespace = spec["namespace"]?.stringValue, !namespace.isEmpty else { throw APIError.badRequest("no namespace on request") }
            review["status"] = await rulesReviewStatus(user: request.user, namespace: namespace)
        default:
            var info: JSONValue = ["username": .string(request.user.name), "groups": .array(request.user.groups.map(JSONValue.string))]
            if !request.user.uid.isEmpty { info["uid"] = .string(request.user.uid) }
            review["status"] = ["userInfo": info]
        }
        return review
    }

    /// `ValidateSelfSubjectAccessReviewSpec` / `ValidateSubjectAccessReviewSpec`, as one 422.
    private func checkAttributes(_ spec: JSONValue, kind: String, requireSubject: Bool) throws(APIError) {
        var causes: [Validation.Cause] = []
        let resource = spec["resourceAttributes"].flatMap { $0 == .null ? nil : $0 }
        let nonResource = spec["nonResourceAttributes"].flatMap { $0 == .null ? nil : $0 }
        if let nonResource, resource != nil {
            causes.append(("spec.nonResourceAttributes", "FieldValueInvalid",
                           "Invalid value: \(String(decoding: nonResource.encoded(), as: UTF8.self)): cannot be specified in combination with resourceAttributes"))
        }
        if resource == nil, nonResource == nil {
            causes.append(("spec.resourceAttributes", "FieldValueInvalid",
                           "Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified"))
        }
        if requireSubject, (spec["user"]?.stringValue ?? "").isEmpty, (spec["groups"]?.arrayValue ?? []).isEmpty {
            causes.append(("spec.user", "FieldValueInvalid", "Invalid value: \"\": at least one of user or group must be specified"))
        }
        guard !causes.isEmpty else { return }
        throw APIError.invalidQuotingName(kind: "\(kind).authorization.k8s.io", group: "authorization.k8s.io", shortKind: kind, name: "", causes: causes)
    }

    /// `authorizationutil.ResourceAttributesFrom` / `NonResourceAttributesFrom`, then the authorizer.
    private func accessReviewStatus(_ spec: JSONValue, user: UserInfo) async -> JSONValue {
        let attributes: RequestAttributes
        if let resource = spec["resourceAttributes"], resource != .null {
            func field(_ key: String) -> String { resource[key]?.stringValue ?? "" }
            attributes = RequestAttributes(user: user, verb: field("verb"), isResourceRequest: true, apiGroup: field("group"), apiVersion: field("version"),
                                           namespace: field("namespace"), resource: field("resource"), subresource: field("subresource"), name: field("name"))
        } else {
            let nonResource = spec["nonResourceAttributes"] ?? [:]
            attributes = RequestAttributes(user: user, verb: nonResource["verb"]?.stringValue ?? "", isResourceRequest: false,
                                           path: nonResource["path"]?.stringValue ?? "")
        }
        let decision = await authorizer.authorize(attributes)
        var status: JSONValue = ["allowed": .bool(decision.allowed)]
        if !decision.reason.isEmpty { status["reason"] = .string(decision.reason) }
        return status
    }

    /// `SubjectRulesReviewStatus`: resource rules (verbs, apiGroups, resources, resourceNames) and
    /// non-resource rules (verbs, nonResourceURLs), never incomplete here.
    private func rulesReviewStatus(user: UserInfo, namespace: String) async -> JSONValue {
        let (rules, errors) = await authorizer.rules(user: user, namespace: namespace)
        var resourceRules: [JSONValue] = []
        var nonResourceRules: [JSONValue] = []
        for rule in rules {
            if !rule.resources.isEmpty {
                var entry: JSONValue = ["verbs": .array(rule.verbs.map(JSONValue.string))]
                if !rule.apiGroups.isEmpty { entry["apiGroups"] = .array(rule.apiGroups.map(JSONValue.string)) }
                entry["resources"] = .array(rule.resources.map(JSONValue.string))
                if !rule.resourceNames.isEmpty { entry["resourceNames"] = .array(rule.resourceNames.map(JSONValue.string)) }
                resourceRules.append(entry)
            }
            if !rule.nonResourceURLs.isEmpty {
                nonResourceRules.append(["verbs": .array(rule.verbs.map(JSONValue.string)), "nonResourceURLs": .array(rule.nonResourceURLs.map(JSONValue.string))])
            }
        }
        var status: JSONValue = ["resourceRules": .array(resourceRules), "nonResourceRules": .array(nonResourceRules), "incomplete": false]
        if !errors.isEmpty { status["evaluationError"] = .string(RBACAuthorizer.aggregate(errors)) }
        return status
    }
}

extension APIError {
    /// `NewInvalid` for a qualified kind: `Kind.group "name" is invalid: e` or `[e1, e2]`, the name always
    /// quoted (even empty), `details.kind` the Kind and `details.group` the group.
    static func invalidQuotingName(kind qualifiedKind: String, group: String, shortKind: String, name: String,
                                   causes: [(field: String, reason: String, message: String)]) -> APIError {
        let texts = causes.map { "\($0.field): \($0.message)" }
        let aggregate = texts.count == 1 ? texts[0] : "[" + texts.joined(separator: ", ") + "]"
        var details: JSONValue = [
            "kind": .string(shortKind),
            "causes": .array(causes.map { ["reason": .string($0.reason), "message": .string($0.message), "field": .string($0.field)] }),
        ]
        if !name.isEmpty { details["name"] = .string(name) }
        if !group.isEmpty { details["group"] = .string(group) }
        return APIError(code: 422, reason: "Invalid", message: "\(qualifiedKind) \(GoQuote.quote(name)) is invalid: \(aggregate)", details: details)
    }
}
