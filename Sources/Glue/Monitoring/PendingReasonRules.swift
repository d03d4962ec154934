import Foundation

/// Which container waiting reasons end a task, and after how long: a pull that keeps failing for three
/// minutes will not succeed, an invalid image name never will.
public struct PendingReasonRules: Sendable, Equatable {
    public enum Action: String, Sendable { case fail, retry }

    public struct Rule: Sendable, Equatable {
        public var grace: Duration
        public var action: Action
    }

    public var rules: [String: Rule]

    public static let defaults = PendingReasonRules(rules: [
        "ImagePullBackOff": Rule(grace: .seconds(180), action: .fail),
        "ErrImagePull": Rule(grace: .seconds(180), action: .fail),
        "InvalidImageName": Rule(grace: .zero, action: .fail),
        "CreateContainerConfigError": Rule(grace: .zero, action: .fail),
        "CreateContainerError": Rule(grace: .seconds(60), action: .fail),
    ])

    public init(rules: [String: Rule]) { self.rules = rules }

    /// Parses `K8S_GLUE_POD_MONITOR_EVICTION_REASONS`: shell words, each `Reason`, `Reason=<grace>` or
    /// `Reason=<grace>:<fail|retry>` (grace like `90s`, `3m`, `0`). A bare upstream-style list keeps its
    /// upstream meaning: fail at once. The given reasons replace the defaults.
    public static func parse(_ words: [String]) throws(RuleError) -> PendingReasonRules {
        var rules: [String: Rule] = [:]
        for word in words {
            let parts = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let reason = parts.first, !reason.isEmpty, reason.allSatisfy({ $0.isLetter || $0.isNumber }) else {
                throw RuleError("'\(word)' is not a pod waiting reason (e.g. ImagePullBackOff=3m:fail)")
            }
            var rule = Rule(grace: .zero, action: .fail)
            if parts.count == 2 {
                let spec = parts[1].split(separator: ":", maxSplits: 1).map(String.init)
                guard let grace = duration(spec[0]) else { throw RuleError("'\(word)': grace '\(spec[0])' is not a duration like 90s or 3m") }
                rule.grace = grace
                if spec.count == 2 {
                    guard let action = Action(rawValue: spec[1]) else { throw RuleError("'\(word)': action must be fail or retry") }
                    rule.action = action
                }
            }
            rules[reason] = rule
        }
        return PendingReasonRules(rules: rules)
    }

    static func duration(_ text: String) -> Duration? {
        let units: [(String, Int64)] = [("ms", 0), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, seconds) in units where text.hasSuffix(suffix) {
            guard let n = Int64(text.dropLast(suffix.count)), n >= 0 else { return nil }
            return seconds == 0 ? .milliseconds(n) : .seconds(n * seconds)
        }
        return Int64(text).flatMap { $0 >= 0 ? .seconds($0) : nil }
    }

    public struct RuleError: Error, Sendable, CustomStringConvertible {
        public let description: String
        init(_ text: String) { description = "K8S_GLUE_POD_MONITOR_EVICTION_REASONS: " + text }
    }
}
