import Foundation

/// Replaces known secret values in console text before it leaves the pod: git passwords, API secrets,
/// tokens, and the values of variables the user asked to hide (`CLEARML_AGENT_DOCKER_ARGS_HIDE_ENV`).
public struct SecretMasker: Sendable, Equatable {
    public static let mask = "********"
    private let secrets: [String]
    var secretsForMerging: [String] { secrets }

    /// Values shorter than 4 characters are not masked: masking "1" or "on" would shred the log
    /// without hiding anything worth hiding.
    public init(_ values: [String]) {
        secrets = Array(Set(values.filter { $0.count >= 4 })).sorted { $0.count > $1.count }
    }

    /// Secrets from the environment: the usual names plus any listed in `hideVariables`.
    public init(environment: [String: String], hideVariables: [String] = []) {
        let names = Set(["CLEARML_API_SECRET_KEY", "CLEARML_AGENT_GIT_PASS", "CLEARML_AUTH_TOKEN", "CLEARML_API_ACCESS_KEY"] + hideVariables)
        let named = environment.filter { names.contains($0.key) }.map(\.value)
        let patterned = environment.filter { key, _ in
            let upper = key.uppercased()
            return upper.contains("SECRET") || upper.contains("PASSWORD") || upper.hasSuffix("_TOKEN") || upper.hasSuffix("_PASS")
        }.map(\.value)
        self.init(named + patterned)
    }

    public func apply(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: Self.mask)
        }
        return result
    }
}

extension SecretMasker {
    /// The environment's secrets plus `extra` values (and their URL-encoded forms, as they appear inside a
    /// clone URL).
    public init(environment: [String: String], hideVariables: [String], extra: [String?]) {
        let fromEnvironment = SecretMasker(environment: environment, hideVariables: hideVariables).secretsForMerging
        var values = fromEnvironment
        for value in extra.compactMap({ $0 }) {
            values.append(value)
            if let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics), encoded != value { values.append(encoded) }
        }
        self.init(values)
    }
}
