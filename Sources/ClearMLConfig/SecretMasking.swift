import Foundation

/// What counts as a secret when configuration is shown, and how it is hidden.
public enum SecretMasking {
    public static let mask = "********"

    /// Key names that hold secrets: `secret_key`, `git_pass`, anything with "pass", "secret" or "token" in it,
    /// and the usual private key names. Matching is on the last path component, case-insensitive.
    public static func isSecretKey(_ key: String) -> Bool {
        let lowered = key.lowercased()
        if ["secret", "pass", "token"].contains(where: lowered.contains) { return true }
        return ["private_key", "account_key", "api_key", "credentials_json"].contains(lowered)
    }

    public static func isSecret(path: [String]) -> Bool {
        path.last.map(isSecretKey) ?? false
    }

    /// `value` with secrets masked: every non-empty string or number under a secret key (at any depth,
    /// inside lists too), and the password part of any `scheme://user:password@host` URL.
    /// Booleans and empty values stay visible: they reveal nothing and show whether a secret is set.
    public static func masked(_ value: ConfigValue, key: String?) -> ConfigValue {
        let secret = key.map(isSecretKey) ?? false
        return masked(value, underSecret: secret)
    }

    public static func masked(_ object: ConfigObject) -> ConfigObject {
        var result = ConfigObject()
        for (key, value) in object.entries { result[key] = masked(value, key: key) }
        return result
    }

    private static func masked(_ value: ConfigValue, underSecret: Bool) -> ConfigValue {
        switch value.kind {
        case let .object(object):
            var result = ConfigObject()
            for (key, child) in object.entries {
                result[key] = masked(child, underSecret: underSecret || isSecretKey(key))
            }
            return .object(result, source: value.source)
        case let .array(items):
            return .array(items.map { masked($0, underSecret: underSecret) }, source: value.source)
        case let .string(text):
            if underSecret, !text.isEmpty { return .string(mask, source: value.source) }
            return .string(maskingURLPassword(text), source: value.source)
        case .int, .double:
            return underSecret ? .string(mask, source: value.source) : value
        case .bool, .null:
            return value
        }
    }

    /// Replaces the password in `scheme://user:password@host/...` (as in a private extra index URL).
    public static func maskingURLPassword(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        let authorityStart = schemeEnd.upperBound
        let authorityEnd = text[authorityStart...].firstIndex(where: { "/?#".contains($0) }) ?? text.endIndex
        let authority = text[authorityStart..<authorityEnd]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return text }
        return String(text[..<text.index(after: colon)]) + mask + String(text[at...])
    }
}
