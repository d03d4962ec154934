import Foundation
import JSONValue

/// One `rbac.authorization.k8s.io/v1` PolicyRule and the upstream matching of a request against it
/// (kubernetes pkg/apis/rbac/v1/evaluation_helpers.go, plugin/pkg/auth/authorizer/rbac/rbac.go `RuleAllows`).
public struct PolicyRule: Sendable, Hashable, CustomStringConvertible {
    public var verbs: [String]
    public var apiGroups: [String]
    public var resources: [String]
    public var resourceNames: [String]
    public var nonResourceURLs: [String]

    public init(verbs: [String], apiGroups: [String] = [], resources: [String] = [], resourceNames: [String] = [], nonResourceURLs: [String] = []) {
        self.verbs = verbs
        self.apiGroups = apiGroups
        self.resources = resources
        self.resourceNames = resourceNames
        self.nonResourceURLs = nonResourceURLs
    }

    public init(_ json: JSONValue) {
        func strings(_ key: String) -> [String] { (json[key]?.arrayValue ?? []).compactMap(\.stringValue) }
        self.init(verbs: strings("verbs"), apiGroups: strings("apiGroups"), resources: strings("resources"),
                  resourceNames: strings("resourceNames"), nonResourceURLs: strings("nonResourceURLs"))
    }

    public var json: JSONValue {
        var rule: JSONValue = ["verbs": .array(verbs.map(JSONValue.string))]
        for (key, values) in [("apiGroups", apiGroups), ("resources", resources), ("resourceNames", resourceNames), ("nonResourceURLs", nonResourceURLs)]
        where !values.isEmpty {
            rule[key] = .array(values.map(JSONValue.string))
        }
        return rule
    }

    /// `rbacv1helpers.CompactString`.
    public var description: String {
        var parts: [String] = []
        if !apiGroups.isEmpty { parts.append("APIGroups:\(goQuoted(apiGroups))") }
        if !resources.isEmpty { parts.append("Resources:\(goQuoted(resources))") }
        if !nonResourceURLs.isEmpty { parts.append("NonResourceURLs:\(goQuoted(nonResourceURLs))") }
        if !resourceNames.isEmpty { parts.append("ResourceNames:\(goQuoted(resourceNames))") }
        if !verbs.isEmpty { parts.append("Verbs:\(goQuoted(verbs))") }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    private func goQuoted(_ values: [String]) -> String { "[" + values.map(GoQuote.quote).joined(separator: " ") + "]" }

    /// `RuleAllows`: every part matches.
    public func allows(_ request: RequestAttributes) -> Bool {
        guard matchesVerb(request.verb) else { return false }
        if request.isResourceRequest {
            return matchesAPIGroup(request.apiGroup)
                && matchesResource(request.combinedResource, subresource: request.subresource)
                && matchesResourceName(request.name)
        }
        return matchesNonResourceURL(request.path)
    }

    /// `VerbMatches`: `*` or the exact verb.
    func matchesVerb(_ verb: String) -> Bool { verbs.contains("*") || verbs.contains(verb) }

    /// `APIGroupMatches`: `*` or the exact group (`""` is the core group).
    func matchesAPIGroup(_ group: String) -> Bool { apiGroups.contains("*") || apiGroups.contains(group) }

    /// `ResourceMatches`: `*`, the exact `resource[/subresource]`, or `*/subresource`. `pods` does not
    /// match `pods/log`, and `pods/*` is no wildcard.
    func matchesResource(_ combined: String, subresource: String) -> Bool {
        resources.contains { rule in
            if rule == "*" || rule == combined { return true }
            guard !subresource.isEmpty else { return false }
            return rule.count == subresource.count + 2 && rule.hasPrefix("*/") && rule.hasSuffix(subresource)
        }
    }

    /// `ResourceNameMatches`: no names match any request; names match only a request with that name,
    /// so never a list, a watch of all, or a create (their name is empty).
    func matchesResourceName(_ name: String) -> Bool { resourceNames.isEmpty || resourceNames.contains(name) }

    /// `NonResourceURLMatches`: `*`, the exact path, or a `prefix*` the path starts with.
    func matchesNonResourceURL(_ path: String) -> Bool {
        nonResourceURLs.contains { rule in
            if rule == "*" || rule == path { return true }
            guard rule.hasSuffix("*") else { return false }
            var prefix = Substring(rule)
            while prefix.hasSuffix("*") { prefix = prefix.dropLast() }
            return path.hasPrefix(prefix)
        }
    }
}

/// Go's `%q` for the strings Kubernetes messages quote: double quotes, with `"` and `\` escaped and
/// control characters written as escapes.
enum GoQuote {
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f { out += String(format: "\\x%02x", scalar.value) }
                else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
