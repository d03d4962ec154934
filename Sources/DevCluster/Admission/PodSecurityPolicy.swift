import JSONValue

/// A namespace's Pod Security policy, read from its labels as pod-security-admission reads them
/// (`api/constants.go` label names, `api/helpers.go ParseLevel`/`ParseVersion`/`PolicyToEvaluate`;
/// release v0.32, the one this cluster reports). No labels means privileged:latest everywhere.
struct PodSecurityPolicy: Equatable, Sendable {
    enum Level: String, Comparable, Sendable {
        case privileged, baseline, restricted

        static func < (a: Level, b: Level) -> Bool { a.rank < b.rank }
        private var rank: Int { self == .privileged ? 0 : self == .baseline ? 1 : 2 }
    }

    /// `latest` or `v1.N`.
    struct Version: Comparable, Sendable, CustomStringConvertible {
        /// nil: latest.
        var minor: Int?
        static let latest = Version(minor: nil)

        var description: String { minor.map { "v1.\($0)" } ?? "latest" }
        static func < (a: Version, b: Version) -> Bool {
            switch (a.minor, b.minor) {
            case (let x?, let y?): x < y
            case (_?, nil): true
            default: false
            }
        }
    }

    struct LevelVersion: Equatable, Sendable, CustomStringConvertible {
        var level: Level
        var version: Version
        /// `restricted:latest`, as the messages name it.
        var description: String { "\(level.rawValue):\(version)" }
    }

    var enforce = LevelVersion(level: .privileged, version: .latest)
    var audit = LevelVersion(level: .privileged, version: .latest)
    var warn = LevelVersion(level: .privileged, version: .latest)

    static let prefix = "pod-security.kubernetes.io/"
    static let enforceLabel = prefix + "enforce", enforceVersionLabel = prefix + "enforce-version"
    static let auditLabel = prefix + "audit", auditVersionLabel = prefix + "audit-version"
    static let warnLabel = prefix + "warn", warnVersionLabel = prefix + "warn-version"

    /// `PolicyToEvaluate`: the policy and, for each label that does not parse, the 422 cause a Namespace
    /// write gets (`metadata.labels[<label>]: Invalid value: "x": must be one of ...`). A bad enforce level
    /// is enforced as restricted; a bad audit or warn level is ignored (privileged); a bad version is latest.
    static func from(labels: [String: String]) -> (policy: PodSecurityPolicy, causes: [Validation.Cause]) {
        var policy = PodSecurityPolicy()
        var causes: [Validation.Cause] = []
        var hasEnforceLevel = false, hasWarnLevel = false, hasWarnVersion = false
        func level(_ label: String, failing: Level) -> Level? {
            guard let text = labels[label] else { return nil }
            if let level = Level(rawValue: text) { return level }
            causes.append(Validation.invalid("metadata.labels[\(label)]", text, "must be one of privileged, baseline, restricted"))
            return failing
        }
        func version(_ label: String) -> Version? {
            guard let text = labels[label] else { return nil }
            if text == "latest" { return .latest }
            // `^v1\.([0-9]|[1-9][0-9]*)$`
            if text.hasPrefix("v1."), let minor = Int(text.dropFirst(3)), minor >= 0, text == "v1.\(minor)" {
                return Version(minor: minor)
            }
            causes.append(Validation.invalid("metadata.labels[\(label)]", text, "must be \"latest\" or \"v1.x\""))
            return .latest
        }
        if let parsed = level(enforceLabel, failing: .restricted) {
            policy.enforce.level = parsed
            hasEnforceLevel = Level(rawValue: labels[enforceLabel] ?? "") != nil
        }
        if let parsed = version(enforceVersionLabel) { policy.enforce.version = parsed }
        if let parsed = level(auditLabel, failing: .privileged) { policy.audit.level = parsed }
        if let parsed = version(auditVersionLabel) { policy.audit.version = parsed }
        if let parsed = level(warnLabel, failing: .privileged) { policy.warn.level = parsed; hasWarnLevel = true }
        if let parsed = version(warnVersionLabel) { policy.warn.version = parsed; hasWarnVersion = true }
        // Warn defaults to the enforce level when enforce was explicitly set stricter.
        if !hasWarnLevel, hasEnforceLevel, policy.enforce.level > policy.warn.level {
            policy.warn.level = policy.enforce.level
            if !hasWarnVersion { policy.warn.version = policy.enforce.version }
        }
        return (policy, causes)
    }

    static func from(namespace: JSONValue?) -> PodSecurityPolicy {
        let labels = (namespace?[path: "metadata", "labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        return from(labels: labels).policy
    }

    var fullyPrivileged: Bool { enforce.level == .privileged && audit.level == .privileged && warn.level == .privileged }
}
