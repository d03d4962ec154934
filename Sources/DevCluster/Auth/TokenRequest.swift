import Foundation
import JSONValue
import KubeAPI

/// `POST /api/v1/namespaces/NS/serviceaccounts/NAME/token`, what `kubectl create token NAME` calls: an
/// `authentication.k8s.io/v1` TokenRequest in, the same with `status.token` and
/// `status.expirationTimestamp` (a metav1.Time: whole seconds) out, 201
/// (kubernetes pkg/registry/core/serviceaccount/storage/token.go `TokenREST.Create`; defaults in
/// pkg/apis/authentication/v1/defaults.go; limits in pkg/apis/authentication/validation).
extension ClusterAPI {
    /// The audience kubeadm's API server accepts (`--api-audiences` defaults to the issuer).
    static let defaultTokenAudiences = ["https://kubernetes.default.svc.cluster.local"]
    /// `SetDefaults_TokenRequestSpec`: one hour.
    static let defaultTokenSeconds: Int64 = 3600
    /// `MinTokenAgeSec` (10 minutes) and `MaxTokenAgeSec` (2^32 seconds).
    static let tokenSecondsRange: ClosedRange<Int64> = 600...(1 << 32)

    func tokenRequest(namespace: String, serviceAccount name: String, _ request: APIRequest) async throws -> JSONValue {
        var review = request.body.isEmpty ? JSONValue.object([:]) : try request.decodedBody()
        if let kind = review["kind"]?.stringValue, !kind.isEmpty, kind != "TokenRequest" {
            throw APIError.badRequest("the API version in the data (\(review["apiVersion"]?.stringValue ?? "")) does not match the expected API version (authentication.k8s.io/v1)")
        }
        guard let account = await store.get(.serviceAccounts, namespace: namespace, name: name) else {
            throw APIError.notFound("serviceaccounts", name)
        }
        var causes: [Validation.Cause] = []
        if let given = review[path: "metadata", "name"]?.stringValue, !given.isEmpty, given != name {
            causes.append(Validation.invalid("metadata.name", given, "must match the service account name if specified"))
        }
        if let given = review[path: "metadata", "namespace"]?.stringValue, !given.isEmpty, given != namespace {
            causes.append(Validation.invalid("metadata.namespace", given, "must match the service account namespace if specified"))
        }
        let seconds = review[path: "spec", "expirationSeconds"]?.intValue ?? Self.defaultTokenSeconds
        if seconds < Self.tokenSecondsRange.lowerBound {
            causes.append(("spec.expirationSeconds", "FieldValueInvalid", "Invalid value: \(seconds): may not specify a duration less than 10 minutes"))
        } else if seconds > Self.tokenSecondsRange.upperBound {
            causes.append(("spec.expirationSeconds", "FieldValueInvalid", "Invalid value: \(seconds): may not specify a duration larger than 2^32 seconds"))
        }
        if !causes.isEmpty {
            throw APIError.invalidQuotingName(kind: "TokenRequest.authentication.k8s.io", group: "authentication.k8s.io", shortKind: "TokenRequest",
                                              name: name, causes: causes)
        }
        var bound: (type: ResourceType, name: String, uid: String)?
        if let reference = review[path: "spec", "boundObjectRef"], reference != .null {
            bound = try await boundObject(reference, namespace: namespace, serviceAccount: name)
        }
        var audiences = (review[path: "spec", "audiences"]?.arrayValue ?? []).compactMap(\.stringValue)
        if audiences.isEmpty { audiences = Self.defaultTokenAudiences }
        // metav1.Time: the expiry is written, and enforced, in whole seconds.
        let expires = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + Double(seconds)).rounded(.down))
        let token = authenticator.issue(Authenticator.IssuedToken(
            namespace: namespace, serviceAccount: name, serviceAccountUID: account[path: "metadata", "uid"]?.stringValue ?? "",
            expires: expires, bound: bound))
        review["kind"] = "TokenRequest"
        review["apiVersion"] = "authentication.k8s.io/v1"
        review[path: "metadata", "name"] = .string(name)
        review[path: "metadata", "namespace"] = .string(namespace)
        review[path: "metadata", "creationTimestamp"] = .string(KubeTime.format(Date()))
        review[path: "spec", "audiences"] = .array(audiences.map(JSONValue.string))
        review[path: "spec", "expirationSeconds"] = .int(seconds)
        if review[path: "spec", "boundObjectRef"] == nil { review[path: "spec", "boundObjectRef"] = .null }
        review["status"] = ["token": .string(token), "expirationTimestamp": .string(KubeTime.format(expires))]
        return review
    }

    /// A token bound to a Pod (which must run as this account) or a Secret stops working with it.
    private func boundObject(_ reference: JSONValue, namespace: String, serviceAccount: String) async throws -> (type: ResourceType, name: String, uid: String) {
        let kind = reference["kind"]?.stringValue ?? ""
        let apiVersion = reference["apiVersion"]?.stringValue ?? ""
        let name = reference["name"]?.stringValue ?? ""
        let type: ResourceType
        switch (apiVersion, kind) {
        case ("v1", "Pod"): type = .pods
        case ("v1", "Secret"): type = .secrets
        default:
            let group = apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : ""
            let version = apiVersion.split(separator: "/").last.map(String.init) ?? apiVersion
            throw APIError.badRequest("cannot bind token to object of type \(group)/\(version), Kind=\(kind)")
        }
        guard let object = await store.get(type, namespace: namespace, name: name) else { throw APIError.notFound(type.plural, name) }
        let uid = object[path: "metadata", "uid"]?.stringValue ?? ""
        if type == .pods, let runsAs = object[path: "spec", "serviceAccountName"]?.stringValue, runsAs != serviceAccount {
            throw APIError.badRequest("cannot bind token for serviceaccount \(GoQuote.quote(serviceAccount)) to pod running with serviceaccount \(GoQuote.quote(runsAs))")
        }
        if let expected = reference["uid"]?.stringValue, !expected.isEmpty, expected != uid {
            throw APIError(code: 409, reason: "Conflict",
                           message: "Operation cannot be fulfilled on \(kind) \(GoQuote.quote(name)): the UID in the bound object reference (\(expected)) does not match the UID in record (\(uid)). The object might have been deleted and then recreated",
                           details: ["name": .string(name), "kind": .string(kind)])
        }
        return (type, name, uid)
    }
}
