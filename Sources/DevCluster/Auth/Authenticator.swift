import Foundation
import JSONValue
import KubeAPI
import Synchronization

/// Who sent a request: the admin bearer token of the kubeconfig, a client certificate signed by the
/// cluster CA (user = CN, groups = O, as the apiserver's x509 authenticator), or a ServiceAccount token
/// from the TokenRequest API. Tokens are opaque random strings kept in memory; one stops working when it
/// expires or its ServiceAccount (or bound Pod/Secret) is deleted or replaced, as a bound token does.
/// Anything else is nobody: the caller answers 401 (apiserver pkg/endpoints/filters/authentication.go).
final class Authenticator: Sendable {
    struct IssuedToken: Sendable {
        var namespace: String
        var serviceAccount: String
        var serviceAccountUID: String
        var expires: Date
        var bound: (type: ResourceType, name: String, uid: String)?
    }

    private let adminToken: String
    private let store: ObjectStore
    private let tokens = Mutex<[String: IssuedToken]>([:])

    init(adminToken: String, store: ObjectStore) {
        self.adminToken = adminToken
        self.store = store
    }

    /// The `Authorization` header's bearer token (`Bearer` in any case, as the apiserver's
    /// bearertoken authenticator reads it), or nil.
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else { return nil }
        return String(parts[1])
    }

    /// `certificate`: the subject of a verified client certificate (CN, then each O), if one was presented.
    func authenticate(authorization: String?, certificate: (commonName: String, organizations: [String])?) async -> UserInfo? {
        if let certificate, !certificate.commonName.isEmpty {
            var groups = certificate.organizations
            if !groups.contains(UserInfo.authenticatedGroup) { groups.append(UserInfo.authenticatedGroup) }
            return UserInfo(name: certificate.commonName, groups: groups)
        }
        guard let token = Self.bearerToken(authorization) else { return nil }
        if token == adminToken { return .admin }
        guard let issued = tokens.withLock({ $0[token] }) else { return nil }
        guard issued.expires > Date() else {
            tokens.withLock { _ = $0.removeValue(forKey: token) }
            return nil
        }
        guard let account = await store.get(.serviceAccounts, namespace: issued.namespace, name: issued.serviceAccount),
              account[path: "metadata", "uid"]?.stringValue == issued.serviceAccountUID else { return nil }
        if let bound = issued.bound {
            guard let object = await store.get(bound.type, namespace: issued.namespace, name: bound.name),
                  object[path: "metadata", "uid"]?.stringValue == bound.uid else { return nil }
        }
        return .serviceAccount(namespace: issued.namespace, name: issued.serviceAccount, uid: issued.serviceAccountUID)
    }

    /// A new token for the ServiceAccount; 24 random bytes, hex.
    func issue(_ token: IssuedToken) -> String {
        var bytes = [UInt8](repeating: 0, count: 24)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        let text = "devcluster-sa." + bytes.map { String(format: "%02x", $0) }.joined()
        tokens.withLock { $0[text] = token }
        return text
    }
}
