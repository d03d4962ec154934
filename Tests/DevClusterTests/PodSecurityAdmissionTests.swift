@testable import DevCluster
import DevClusterTesting
import Foundation
import HTTPClient
import JSONValue
import KubeAPI
import Testing

/// Pod Security Admission from namespace labels. Every expected text is written from
/// kubernetes/pod-security-admission v0.32 (the release this cluster reports): `policy/check_*.go`
/// (reasons and details), `policy/checks.go ForbiddenDetail` (`reason (detail)` joined by `, `),
/// `policy/registry.go populate` (baseline ids sorted, then restricted ids sorted; restricted overrides),
/// `policy/helpers.go joinQuote`/`pluralize`, `admission/admission.go EvaluatePod` (`violates PodSecurity
/// %q: %s`, warnings `would violate PodSecurity %q: %s`), `admission/response.go forbiddenResponse`
/// (apimachinery `NewForbidden`), `api/helpers.go PolicyToEvaluate`/`ParseLevel`/`ParseVersion`.
@Suite(.timeLimit(.minutes(3))) struct PodSecurityAdmissionTests {
    /// A container that passes restricted.
    static let restrictedContext: JSONValue = [
        "allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]], "runAsNonRoot": true, "seccompProfile": ["type": "RuntimeDefault"],
    ]

    static func input(_ change: (inout JSONValue) -> Void) -> PodSecurityInput {
        var spec: JSONValue = ["containers": [["name": "c", "image": "busybox", "securityContext": restrictedContext]]]
        change(&spec)
        return PodSecurityInput(metadata: [:], spec: spec)
    }

    /// Edits the first container of a pod spec.
    static func first(_ spec: inout JSONValue, _ change: (inout JSONValue) -> Void) {
        var containers = spec["containers"]?.arrayValue ?? []
        change(&containers[0])
        spec["containers"] = .array(containers)
    }

    static func level(_ text: String) -> PodSecurityPolicy.LevelVersion {
        let parts = text.split(separator: ":").map(String.init)
        let version = parts[1] == "latest" ? PodSecurityPolicy.Version.latest : PodSecurityPolicy.Version(minor: Int(parts[1].dropFirst(3)))
        return .init(level: PodSecurityPolicy.Level(rawValue: parts[0])!, version: version)
    }

    /// (what is changed from a restricted-compliant pod, policy, expected ForbiddenDetail or nil)
    static var cases: [(String, String, (inout JSONValue) -> Void, String?)] { [
        ("compliant", "restricted:latest", { _ in }, nil),
        ("privileged", "baseline:latest", { first(&$0) { $0[path: "securityContext", "privileged"] = true } },
         #"privileged (container "c" must not set securityContext.privileged=true)"#),
        ("host namespaces", "baseline:latest", { $0["hostNetwork"] = true; $0["hostPID"] = true },
         "host namespaces (hostNetwork=true, hostPID=true)"),
        ("hostPath at baseline", "baseline:latest", { $0["volumes"] = [["name": "v", "hostPath": ["path": "/etc"]]] },
         #"hostPath volumes (volume "v")"#),
        ("hostPath at restricted", "restricted:latest", { $0["volumes"] = [["name": "v", "hostPath": ["path": "/etc"]], ["name": "w", "emptyDir": [:]]] },
         #"restricted volume types (volume "v" uses restricted volume type "hostPath")"#),
        ("two restricted volumes", "restricted:latest", { $0["volumes"] = [["name": "a", "nfs": ["server": "x", "path": "/"]], ["name": "b", "gitRepo": ["repository": "r"]]] },
         #"restricted volume types (volumes "a", "b" use restricted volume types "gitRepo", "nfs")"#),
        ("hostPort", "baseline:latest", { first(&$0) { $0[path: "ports"] = [["containerPort": 80, "hostPort": 8080]] } },
         #"hostPort (container "c" uses hostPort 8080)"#),
        ("capabilities at baseline", "baseline:latest", { first(&$0) { $0[path: "securityContext", "capabilities", "add"] = ["SYS_TIME", "NET_ADMIN", "CHOWN"] } },
         #"non-default capabilities (container "c" must not include "NET_ADMIN", "SYS_TIME" in securityContext.capabilities.add)"#),
        ("capabilities at restricted", "restricted:latest", { first(&$0) { $0[path: "securityContext", "capabilities", "add"] = ["SYS_TIME", "NET_ADMIN"] } },
         #"unrestricted capabilities (container "c" must not include "NET_ADMIN", "SYS_TIME" in securityContext.capabilities.add)"#),
        ("no drop and an add", "restricted:latest", { first(&$0) { $0[path: "securityContext", "capabilities"] = ["add": ["NET_ADMIN"]] } },
         #"unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]; container "c" must not include "NET_ADMIN" in securityContext.capabilities.add)"#),
        ("NET_BIND_SERVICE may be added", "restricted:latest", { first(&$0) { $0[path: "securityContext", "capabilities", "add"] = ["NET_BIND_SERVICE"] } }, nil),
        ("allowPrivilegeEscalation", "restricted:latest", { first(&$0) { $0[path: "securityContext", "allowPrivilegeEscalation"] = true } },
         #"allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false)"#),
        ("runAsNonRoot false", "restricted:latest", { first(&$0) { $0[path: "securityContext", "runAsNonRoot"] = false } },
         #"runAsNonRoot != true (container "c" must not set securityContext.runAsNonRoot=false)"#),
        ("runAsNonRoot from the pod", "restricted:latest", {
            first(&$0) { $0[path: "securityContext", "runAsNonRoot"] = nil }
            $0["securityContext"] = ["runAsNonRoot": true]
        }, nil),
        ("runAsUser 0", "restricted:latest", { $0["securityContext"] = ["runAsUser": 0]; first(&$0) { $0[path: "securityContext", "runAsUser"] = 0 } },
         #"runAsUser=0 (pod and container "c" must not set runAsUser=0)"#),
        ("seccomp Unconfined", "baseline:latest", { first(&$0) { $0[path: "securityContext", "seccompProfile", "type"] = "Unconfined" } },
         #"seccompProfile (container "c" must not set securityContext.seccompProfile.type to "Unconfined")"#),
        ("procMount", "baseline:latest", { first(&$0) { $0[path: "securityContext", "procMount"] = "Unmasked" } },
         #"procMount (container "c" must not set securityContext.procMount to "Unmasked")"#),
        ("sysctls", "baseline:latest", { $0["securityContext"] = ["sysctls": [["name": "net.ipv4.tcp_rmem", "value": "1"], ["name": "kernel.msgmax", "value": "1"]]] },
         "forbidden sysctls (kernel.msgmax)"),
        ("tcp_rmem before 1.32", "baseline:v1.31", { $0["securityContext"] = ["sysctls": [["name": "net.ipv4.tcp_rmem", "value": "1"]]] },
         "forbidden sysctls (net.ipv4.tcp_rmem)"),
        ("seLinux", "baseline:latest", { first(&$0) { $0[path: "securityContext", "seLinuxOptions"] = ["type": "spc_t", "user": "u"] } },
         #"seLinuxOptions (container "c" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set)"#),
        ("AppArmor", "baseline:latest", { first(&$0) { $0[path: "securityContext", "appArmorProfile"] = ["type": "Unconfined"] } },
         #"forbidden AppArmor profile (container "c" must not set AppArmor profile type to "Unconfined")"#),
        ("hostProcess", "baseline:latest", { first(&$0) { $0[path: "securityContext", "windowsOptions"] = ["hostProcess": true] } },
         #"hostProcess (container "c" must not set securityContext.windowsOptions.hostProcess=true)"#),
        ("plural containers, init first", "restricted:latest", {
            $0["initContainers"] = [["name": "i", "image": "busybox"]]
            $0["containers"] = [["name": "a", "image": "busybox"], ["name": "b", "image": "busybox", "securityContext": restrictedContext]]
        }, #"allowPrivilegeEscalation != false (containers "i", "a" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (containers "i", "a" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or containers "i", "a" must set securityContext.runAsNonRoot=true), seccompProfile (pod or containers "i", "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#),
        ("baseline order", "baseline:latest", {
            $0["hostIPC"] = true
            first(&$0) { $0[path: "securityContext", "privileged"] = true }
            first(&$0) { $0[path: "securityContext", "capabilities", "add"] = ["SYS_ADMIN"] }
        }, #"non-default capabilities (container "c" must not include "SYS_ADMIN" in securityContext.capabilities.add), host namespaces (hostIPC=true), privileged (container "c" must not set securityContext.privileged=true)"#),
        // Versions: capabilities_restricted exists from 1.22 (before, restricted runs capabilities_baseline),
        // runAsUser from 1.23, seccompProfile_restricted from 1.19.
        ("capabilities at restricted v1.21", "restricted:v1.21", { first(&$0) { $0[path: "securityContext", "capabilities"] = ["add": ["NET_ADMIN"]] } },
         #"non-default capabilities (container "c" must not include "NET_ADMIN" in securityContext.capabilities.add)"#),
        ("runAsUser 0 at v1.22", "restricted:v1.22", { first(&$0) { $0[path: "securityContext", "runAsUser"] = 0 } }, nil),
        ("windows skips restricted container checks from 1.25", "restricted:latest", {
            $0["os"] = ["name": "windows"]
            first(&$0) { $0[path: "securityContext"] = ["runAsNonRoot": true] }
        }, nil),
    ] }

    @Test func eachCheckGivesUpstreamsReasonAndDetail() {
        for (name, policy, change, expected) in Self.cases {
            #expect(PodSecurityCheck.forbiddenDetail(Self.input(change), Self.level(policy)) == expected, "\(name)")
        }
    }

    @Test func checkOrderIsBaselineSortedThenRestrictedSorted() {
        #expect(PodSecurityCheck.checks(for: .baseline, minor: 32).map(\.id) == [
            "appArmorProfile", "capabilities_baseline", "hostNamespaces", "hostPathVolumes", "hostPorts", "privileged", "procMount",
            "seLinuxOptions", "seccompProfile_baseline", "sysctls", "windowsHostProcess",
        ])
        #expect(PodSecurityCheck.checks(for: .restricted, minor: 32).map(\.id) == [
            "appArmorProfile", "hostNamespaces", "hostPorts", "privileged", "procMount", "seLinuxOptions", "sysctls", "windowsHostProcess",
            "allowPrivilegeEscalation", "capabilities_restricted", "restrictedVolumes", "runAsNonRoot", "runAsUser", "seccompProfile_restricted",
        ])
        #expect(PodSecurityCheck.checks(for: .privileged, minor: 32).isEmpty)
    }

    @Test func namespaceLabelsMakeThePolicy() {
        let cases: [([String: String], String, String, [String])] = [
            ([:], "privileged:latest", "privileged:latest", []),
            (["pod-security.kubernetes.io/enforce": "restricted"], "restricted:latest", "restricted:latest", []),
            (["pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.29"], "baseline:v1.29", "baseline:v1.29", []),
            (["pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn": "restricted"], "baseline:latest", "restricted:latest", []),
            (["pod-security.kubernetes.io/enforce": "foo"], "restricted:latest", "privileged:latest",
             [#"metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "foo": must be one of privileged, baseline, restricted"#]),
            (["pod-security.kubernetes.io/enforce-version": "1.29"], "privileged:latest", "privileged:latest",
             [#"metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: "1.29": must be "latest" or "v1.x""#]),
        ]
        for (labels, enforce, warn, errors) in cases {
            let (policy, causes) = PodSecurityPolicy.from(labels: labels)
            #expect(policy.enforce.description == enforce, "\(labels)")
            #expect(policy.warn.description == warn, "\(labels)")
            #expect(causes.map { "\($0.field): \($0.message)" } == errors, "\(labels)")
        }
    }

    func namespace(_ name: String, _ labels: [String: String]) -> JSONValue {
        ["metadata": ["name": .string(name), "labels": .object(labels.mapValues(JSONValue.string))]]
    }

    @Test func enforceRefusesWith403WarnAddsWarningsAndWorkloadsOnlyWarn() async throws {
        try await withCluster { cluster, kube in
            _ = try await kube.create(.namespaces, namespace("strict", ["pod-security.kubernetes.io/enforce": "restricted"]))
            _ = try await kube.create(.namespaces, namespace("base", ["pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.30"]))
            _ = try await kube.create(.namespaces, namespace("warned", ["pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "restricted"]))

            // The plain pod of the notes, refused with upstream's exact body.
            let refused = try await clusterRequest(cluster, "/api/v1/namespaces/strict/pods", method: .post, body: podManifest("x"))
            #expect(refused.status == 403)
            let main = #"container "main""#
            #expect(try JSONValue.decode(refused.body) == [
                "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
                "message": .string(#"pods "x" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false ("# + main
                    + #" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities ("# + main
                    + #" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or "# + main
                    + #" must set securityContext.runAsNonRoot=true), seccompProfile (pod or "# + main
                    + #" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#),
                "reason": "Forbidden", "details": ["name": "x", "kind": "pods"], "code": 403,
            ])
            await expectKubeError(.notFound) { _ = try await kube.get(.pods, namespace: "strict", name: "x") }
            // Dry runs go through admission too; a pod that complies is created.
            let dry = try await clusterRequest(cluster, "/api/v1/namespaces/strict/pods?dryRun=All", method: .post, body: podManifest("x"))
            #expect(dry.status == 403)
            var compliant = podManifest("ok", command: ["true"])
            compliant[path: "spec", "securityContext"] = ["runAsNonRoot": true, "runAsUser": 1000, "seccompProfile": ["type": "RuntimeDefault"]]
            compliant[path: "spec", "containers"] = [["name": "main", "image": "busybox", "command": ["true"],
                                                     "securityContext": ["allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]]]]]
            let created = try await clusterRequest(cluster, "/api/v1/namespaces/strict/pods", method: .post, body: compliant)
            #expect(created.status == 201 && created.headers.values(for: "Warning").isEmpty)
            // Validation (422) comes before admission.
            let invalid = try await clusterRequest(cluster, "/api/v1/namespaces/strict/pods", method: .post, body: podManifest("Bad_Name"))
            #expect(invalid.status == 422)

            // The level and the version name the policy.
            var privileged = podManifest("p")
            privileged[path: "spec", "containers"] = [["name": "main", "image": "busybox", "command": ["true"], "securityContext": ["privileged": true]]]
            let baseline = try await clusterRequest(cluster, "/api/v1/namespaces/base/pods", method: .post, body: privileged)
            #expect(baseline.status == 403)
            #expect(try JSONValue.decode(baseline.body)["message"]
                == #"pods "p" is forbidden: violates PodSecurity "baseline:v1.30": privileged (container "main" must not set securityContext.privileged=true)"#)

            // warn: created, with the warning header (audit is ignored).
            let warned = try await clusterRequest(cluster, "/api/v1/namespaces/warned/pods", method: .post, body: podManifest("w"))
            #expect(warned.status == 201)
            let warning = try #require(warned.headers.values(for: "Warning").first)
            #expect(warning.hasPrefix(#"299 - "would violate PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false (container \"main\" must set"#))

            // A workload is never refused; its template earns the enforce level's warning (warn defaults to enforce).
            let job: JSONValue = [
                "apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "j"],
                "spec": ["template": ["spec": ["restartPolicy": "Never", "containers": [["name": "main", "image": "busybox", "command": ["true"], "securityContext": ["privileged": true]]]]]],
            ]
            let jobAnswer = try await clusterRequest(cluster, "/apis/batch/v1/namespaces/base/jobs", method: .post, body: job)
            #expect(jobAnswer.status == 201)
            #expect(jobAnswer.headers.values(for: "Warning")
                == [#"299 - "would violate PodSecurity \"baseline:v1.30\": privileged (container \"main\" must not set securityContext.privileged=true)""#])
        }
    }

    @Test func namespaceLabelsMustParse() async throws {
        try await withCluster { cluster, kube in
            let bad = try await clusterRequest(cluster, "/api/v1/namespaces", method: .post,
                                               body: namespace("typo", ["pod-security.kubernetes.io/enforce": "strict"]))
            #expect(bad.status == 422)
            let status = try JSONValue.decode(bad.body)
            #expect(status["message"] == #"Namespace "typo" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted"#)
            #expect(status[path: "details", "causes"] == [[
                "reason": "FieldValueInvalid", "message": #"Invalid value: "strict": must be one of privileged, baseline, restricted"#,
                "field": "metadata.labels[pod-security.kubernetes.io/enforce]",
            ]])
            // Labelling an existing namespace is checked too.
            var later = try await kube.create(.namespaces, namespace("later", [:]))
            later[path: "metadata", "labels", "pod-security.kubernetes.io/warn-version"] = "v2.0"
            let update = try await clusterRequest(cluster, "/api/v1/namespaces/later", method: .put, body: later)
            #expect(update.status == 422)
            #expect(try JSONValue.decode(update.body)["message"] == #"Namespace "later" is invalid: metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "v2.0": must be "latest" or "v1.x""#)
        }
    }
}
