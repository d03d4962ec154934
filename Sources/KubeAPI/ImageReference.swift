import Foundation

/// Container image references as the kubelet reads them before pulling: `distribution/reference`
/// (`regexp.go` grammar, `normalize.go ParseNormalizedNamed`/`splitDockerDomain`, `reference.go Parse`)
/// plus go-digest's check of the digest. The API server accepts any non-blank `image`; a reference this
/// grammar refuses leaves the container waiting with `InvalidImageName` (k/k `pkg/kubelet/images/
/// image_manager.go EnsureImageExists`, `pkg/util/parsers ParseImageName`), and nothing is pulled.
/// Shared by the glue, which refuses such a task before creating anything, and the embedded cluster's
/// kubelet, which reports it as a node would.
public enum ImageReference {
    // The grammar, piece by piece, as `regexp.go` writes it (`\w` and `[[:xdigit:]]` spelled out in ASCII,
    // as Go's regexp means them).
    static let alphanumeric = "[a-z0-9]+"
    static let separator = "(?:[._]|__|[-]+)"
    static let pathComponent = alphanumeric + "(?:" + separator + alphanumeric + ")*"
    static let remoteName = pathComponent + "(?:/" + pathComponent + ")*"
    static let domainNameComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
    static let domainName = domainNameComponent + "(?:\\." + domainNameComponent + ")*"
    static let ipv6Address = "\\[(?:[a-fA-F0-9:]+)\\]"
    static let host = "(?:" + domainName + "|" + ipv6Address + ")"
    static let domainAndPort = host + "(?::[0-9]+)?"
    static let tag = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
    static let digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}"
    static let name = "(?:" + domainAndPort + "/)?" + remoteName
    /// `^(name)(?::(tag))?(?:@(digest))?$` (NSRegularExpression is documented thread-safe, hence `unsafe`).
    nonisolated(unsafe) static let reference = regex("^(" + name + ")(?::(" + tag + "))?(?:@(" + digest + "))?\\z")
    /// `^(?:(domainAndPort)/)?(remoteName)$`, to split a matched name.
    nonisolated(unsafe) static let anchoredName = regex("^(?:(" + domainAndPort + ")/)?(" + remoteName + ")\\z")
    nonisolated(unsafe) static let identifier = regex("^[a-f0-9]{64}\\z")

    /// `RepositoryNameTotalLengthMax`: the path (the name without its domain).
    static let maxPathLength = 255

    public struct Parsed: Sendable, Equatable {
        public var domain: String
        public var path: String
        public var tag: String?
        public var digest: String?

        public init(domain: String, path: String, tag: String? = nil, digest: String? = nil) {
            self.domain = domain
            self.path = path
            self.tag = tag
            self.digest = digest
        }
    }

    /// `ParseNormalizedNamed(image)`: the reference, with Docker Hub's defaults filled in, or the error text.
    public static func parse(_ image: String) -> Result<Parsed, ParseError> {
        if matches(identifier, image) {
            return .failure(ParseError("invalid repository name (\(image)), cannot specify 64-byte hexadecimal strings"))
        }
        let (domain, remainder) = splitDockerDomain(image)
        let remote = remainder.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? remainder
        if remote.lowercased() != remote {
            return .failure(ParseError("invalid reference format: repository name (\(remote)) must be lowercase"))
        }
        return parseReference(domain + "/" + remainder)
    }

    /// `reference.Parse`: the whole grammar, the path length, then the digest's own rules.
    static func parseReference(_ text: String) -> Result<Parsed, ParseError> {
        if text.isEmpty { return .failure(ParseError("repository name must have at least one component")) }
        guard let groups = captures(reference, text) else {
            if text.lowercased() != text, captures(reference, text.lowercased()) != nil {
                return .failure(ParseError("repository name must be lowercase"))
            }
            return .failure(ParseError("invalid reference format"))
        }
        let nameGroups = captures(anchoredName, groups[0] ?? "") ?? [nil, groups[0]]
        let parsed = Parsed(domain: nameGroups[0] ?? "", path: nameGroups[1] ?? "", tag: groups[1], digest: groups[2])
        if parsed.path.utf8.count > maxPathLength {
            return .failure(ParseError("repository name must not be more than \(maxPathLength) characters"))
        }
        if let digest = parsed.digest, let problem = digestProblem(digest) { return .failure(ParseError(problem)) }
        return .success(parsed)
    }

    /// `splitDockerDomain`: the first element is a domain when it is `localhost`, has a `.` or `:`, or has
    /// upper case; otherwise the image lives on Docker Hub, official images under `library/`.
    static func splitDockerDomain(_ name: String) -> (domain: String, remainder: String) {
        guard let slash = name.firstIndex(of: "/") else { return ("docker.io", "library/" + name) }
        let first = String(name[..<slash]), rest = String(name[name.index(after: slash)...])
        var domain = "docker.io", remainder = name
        if first == "index.docker.io" {
            (domain, remainder) = ("docker.io", rest)
        } else if first == "localhost" || first.contains(".") || first.contains(":") || first.lowercased() != first {
            (domain, remainder) = (first, rest)
        }
        if domain == "docker.io", !remainder.contains("/") { remainder = "library/" + remainder }
        return (domain, remainder)
    }

    /// go-digest `Digest.Validate` with sha256/sha384/sha512 available (the kubelet links them).
    static func digestProblem(_ digest: String) -> String? {
        let parts = digest.split(separator: ":", maxSplits: 1).map(String.init)
        let sizes = ["sha256": 64, "sha384": 96, "sha512": 128]
        guard parts.count == 2, let size = sizes[parts[0]] else {
            // Unknown algorithm: unsupported if it is well-formed (go-digest `DigestRegexpAnchored`).
            let wellFormed = parts[0].range(of: "^[a-z0-9]+(?:[.+_-][a-z0-9]+)*$", options: .regularExpression) != nil
            return wellFormed ? "unsupported digest algorithm" : "invalid checksum digest format"
        }
        if parts[1].utf8.count != size { return "invalid checksum digest length" }
        if !parts[1].allSatisfy({ $0.isHexDigit && !$0.isUppercase }) { return "invalid checksum digest format" }
        return nil
    }

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    // MARK: regular expressions

    /// Anchored with `\z`: ICU's `$` would also match before a final newline, Go's does not.
    private static func regex(_ pattern: String) -> NSRegularExpression {
        // The patterns are constants of this file; a typo is a programming error caught by its tests.
        try! NSRegularExpression(pattern: pattern)
    }

    private static func matches(_ regex: NSRegularExpression, _ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// The capture groups of a whole-string match (nil for a group that did not take part), or nil.
    private static func captures(_ regex: NSRegularExpression, _ text: String) -> [String?]? {
        guard let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
        return (1..<match.numberOfRanges).map { index in
            let range = match.range(at: index)
            guard range.location != NSNotFound, let swiftRange = Range(range, in: text) else { return nil }
            return String(text[swiftRange])
        }
    }
}
