import JSONValue
import KubeAPI

/// The PodSecurity admission plugin as kube-apiserver runs it (pod-security-admission `admission/
/// admission.go ValidatePod`, `ValidatePodController`, `ValidateNamespace`, `EvaluatePod`; `admission/
/// response.go forbiddenResponse`). It is validating admission: it runs after the object's own
/// validation (so a 422 comes first) and on dry runs too. Exemptions and audit annotations are not
/// modelled; `audit` labels are read and ignored.
enum PodSecurityAdmission {
    /// A pod create: the 403 when the namespace's enforce level refuses it, else the warnings for its
    /// warn level (`would violate PodSecurity "baseline:latest": ...`).
    static func admitPod(_ pod: JSONValue, namespace: JSONValue?) throws(APIError) -> [String] {
        let policy = PodSecurityPolicy.from(namespace: namespace)
        guard !policy.fullyPrivileged else { return [] }
        let input = PodSecurityInput(metadata: pod["metadata"], spec: pod["spec"])
        if let detail = PodSecurityCheck.forbiddenDetail(input, policy.enforce) {
            let name = pod[path: "metadata", "name"]?.stringValue ?? ""
            throw APIError(code: 403, reason: "Forbidden",
                           message: "pods \(GoQuote.quote(name)) is forbidden: violates PodSecurity \(GoQuote.quote(policy.enforce.description)): \(detail)",
                           details: ["name": .string(name), "kind": "pods"])
        }
        return warnings(input, policy)
    }

    /// A workload (Job, Deployment, ...) is never refused: its pod template only earns warnings.
    static func warnPodController(_ object: JSONValue, kind: String, namespace: JSONValue?) -> [String] {
        guard let path = QuantityFields.podSpecPath(kind: kind), kind != "Pod", let spec = object.value(at: path) else { return [] }
        let policy = PodSecurityPolicy.from(namespace: namespace)
        guard policy.warn.level != .privileged else { return [] }
        return warnings(PodSecurityInput(metadata: object.value(at: path.dropLast() + ["metadata"]), spec: spec), policy)
    }

    private static func warnings(_ input: PodSecurityInput, _ policy: PodSecurityPolicy) -> [String] {
        guard let detail = PodSecurityCheck.forbiddenDetail(input, policy.warn) else { return [] }
        return ["would violate PodSecurity \(GoQuote.quote(policy.warn.description)): \(detail)"]
    }

    /// A Namespace create or update: its PodSecurity labels must parse (422 `Namespace "x" is invalid:
    /// metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: ...`); an update keeping the
    /// same bad labels is let through, as `ValidateNamespace` does.
    static func admitNamespace(_ namespace: JSONValue, old: JSONValue?) throws(APIError) {
        func labels(_ object: JSONValue?) -> [String: String] { (object?[path: "metadata", "labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue) }
        let causes = PodSecurityPolicy.from(labels: labels(namespace)).causes
        guard !causes.isEmpty else { return }
        if let old, PodSecurityPolicy.from(labels: labels(old)).causes.map(\.message) == causes.map(\.message) { return }
        throw APIError.invalid(kind: "Namespace", name: namespace[path: "metadata", "name"]?.stringValue ?? "", causes: causes)
    }
}
