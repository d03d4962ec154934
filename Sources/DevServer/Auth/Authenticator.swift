import Foundation
import JSONValue

/// Who is calling: the company and user a request acts as (one company per data directory).
struct Identity: Sendable, Equatable {
    var company: String
    var companyName: String
    var user: String
    var userName: String
    var role: String

    var json: JSONValue {
        ["company": .string(company), "company_name": .string(companyName), "user": .string(user),
         "user_name": .string(userName), "role": .string(role)]
    }
}

/// Checks `Authorization` (Basic on every endpoint, as upstream; Bearer JWT) and the login cookie, and mints tokens.
struct Authenticator: Sendable {
    let credentials: [String: String]  // access key -> secret key
    let identity: Identity
    let signer: JWTSigner
    let tokenLifetime: TimeInterval

    static let cookieName = "clearml_token_basic"
    static let apiVersion = "2.31"
    static let serverVersion = "2.0.0"

    func authenticate(authorization: String?, cookie: String?, now: Date) throws(APIError) -> Identity {
        guard let authorization, !authorization.isEmpty else {
            if let token = Self.cookieToken(cookie) { return try verifyToken(token, now: now) }
            throw APIError.missingCredentials
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { throw APIError.badAuthType }
        switch parts[0].lowercased() {
        case "basic":
            guard let decoded = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
                  let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
            else { throw APIError.malformedBasic }
            let key = String(text[..<colon])
            let secret = String(text[text.index(after: colon)...])
            guard let expected = credentials[key], Self.constantTimeEqual(expected, secret) else {
                throw APIError.invalidCredentials
            }
            return identity
        case "bearer":
            return try verifyToken(String(parts[1]).trimmingCharacters(in: .whitespaces), now: now)
        default:
            throw APIError.badAuthType
        }
    }

    func verifyToken(_ token: String, now: Date) throws(APIError) -> Identity {
        let claims: JSONValue
        do {
            claims = try signer.verify(token, now: now)
        } catch .expired {
            throw APIError.invalidToken("Token expired")
        } catch .badSignature {
            throw APIError.invalidToken("Signature verification failed")
        } catch {
            throw APIError.invalidToken("Invalid token")
        }
        // Tokens from another data directory carry another company: reject them instead of mixing tenants.
        guard claims["identity"]?["company"]?.strictString == identity.company else {
            throw APIError.invalidToken("Invalid token")
        }
        return identity
    }

    func issueToken(now: Date, expirationSeconds: Int64?) -> String {
        let lifetime = expirationSeconds.map { min(max(Double($0), 1), 365 * 86400) } ?? tokenLifetime
        let issuedAt = Int64(now.timeIntervalSince1970)
        let claims: JSONValue = [
            "identity": identity.json,
            "iat": .int(issuedAt),
            "exp": .int(issuedAt + Int64(lifetime)),
            "env": "<unknown>",
            "auth_type": "Bearer",
            "session_id": .string(Identifiers.make()),
            "api_version": .string(Self.apiVersion),
            "server_version": .string(Self.serverVersion),
            "server_build": "",
            "feature_set": "basic",
        ]
        return signer.sign(claims)
    }

    static func cookieToken(_ header: String?) -> String? {
        guard let header else { return nil }
        for pair in header.split(separator: ";") {
            let trimmed = pair.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix(cookieName + "=") { return String(trimmed.dropFirst(cookieName.count + 1)) }
        }
        return nil
    }

    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8), right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
