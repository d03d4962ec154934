import Foundation
import Hashing

/// The key of a cached virtual environment: the same interpreter and the same requirements (order and
/// comments aside) give the same key, so a second identical task reuses the environment.
public enum VenvCacheKey {
    public static func make(pythonVersion: String, requirements: String, extraIndexURLs: [String] = [], systemSitePackages: Bool = false) -> String {
        let lines = requirements.split(whereSeparator: \.isNewline)
            .map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "" }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .map { $0.lowercased() }
            .sorted()
        let material = (["python=" + pythonVersion, "system_site_packages=\(systemSitePackages)"] + extraIndexURLs.sorted().map { "index=" + $0 } + lines)
            .joined(separator: "\n")
        return String(Digest.sha256Hex(material).prefix(24))
    }
}
