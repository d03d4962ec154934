import Crypto
import Foundation
import JSONValue

/// HS256 JSON Web Tokens. The official clients decode the token (unverified) and read `api_version`,
/// `server_version`, `feature_set` and `identity`; the server verifies signature and expiry on every Bearer call.
struct JWTSigner: Sendable {
    /// Raw bytes, not `SymmetricKey`, because the latter is not `Sendable`.
    private let secret: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: secret) }

    init(secret: [UInt8]) { self.secret = secret }

    func sign(_ claims: JSONValue) -> String {
        let header: JSONValue = ["alg": "HS256", "typ": "JWT"]
        let signingInput = Self.base64URL(header.encodedBytes()) + "." + Self.base64URL(claims.encodedBytes())
        let mac = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: key)
        return signingInput + "." + Self.base64URL(Array(mac))
    }

    enum VerifyError: Error, Equatable { case malformed, badSignature, expired }

    /// Returns the claims of a token signed with this key whose `exp` is still in the future.
    func verify(_ token: String, now: Date) throws(VerifyError) -> JSONValue {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let signature = Self.decodeBase64URL(parts[2]),
              let payload = Self.decodeBase64URL(parts[1])
        else { throw .malformed }
        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key) else {
            throw .badSignature
        }
        guard let claims = try? JSONValue.decode(payload), claims.objectValue != nil else { throw .malformed }
        if let exp = claims["exp"]?.doubleValue, exp < now.timeIntervalSince1970 { throw .expired }
        return claims
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64URL(_ text: Substring) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }
}
