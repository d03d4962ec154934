import Foundation
import JSONValue

/// What the client reads from the server's JWT: its lifetime and the server's API version. The token is
/// not verified here (only the server can); the official clients read the same claims the same way.
struct TokenClaims: Sendable, Equatable {
    var issuedAt: Date?
    var expiresAt: Date?
    var apiVersion: String?
    var serverVersion: String?

    init?(token: String) {
        let parts = token.split(separator: ".")
        guard parts.count == 3, let payload = Self.base64URLDecode(String(parts[1])),
              let claims = try? JSONValue.decode(payload), claims.objectValue != nil else { return nil }
        issuedAt = claims["iat"]?.doubleValue.map { Date(timeIntervalSince1970: $0) }
        expiresAt = claims["exp"]?.doubleValue.map { Date(timeIntervalSince1970: $0) }
        apiVersion = claims["api_version"]?.stringValue
        serverVersion = claims["server_version"]?.stringValue
    }

    /// Renew when less than a fifth of the lifetime (at most one hour) is left, so a long run never
    /// presents an expired token.
    func needsRenewal(now: Date) -> Bool {
        guard let expiresAt else { return false }
        let lifetime = issuedAt.map { expiresAt.timeIntervalSince($0) } ?? 3600
        let margin = min(max(lifetime / 5, 1), 3600)
        return now >= expiresAt.addingTimeInterval(-margin)
    }

    static func base64URLDecode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
