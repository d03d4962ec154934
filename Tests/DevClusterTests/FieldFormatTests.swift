@testable import DevCluster
import DevClusterTesting
import Foundation
import HTTPClient
import JSONValue
import KubeAPI
import Testing

/// Field formats as apimachinery parses them. Expected answers are written from the upstream source
/// (quotes in /work/notes/k8s-rules.md §7):
/// - quantities: apimachinery `pkg/api/resource/quantity.go ParseQuantity`/`parseQuantityString`/
///   `UnmarshalJSON`, `suffix.go interpret`; the error reaches the client through apiserver
///   `handlers/rest.go transformDecodeError` as a 400 (`<Kind> in version "v1" cannot be handled as a <Kind>: ...`);
///   a negative one is a 422 from k/k `pkg/apis/core/validation/validation.go ValidateNonnegativeQuantity`.
/// - names and labels: apimachinery v0.32 `pkg/util/validation/validation.go` (`IsDNS1123Label`,
///   `IsDNS1123Subdomain`, `IsQualifiedName`, `IsValidLabelValue`, `RegexError`, `MaxLenError`),
///   `pkg/apis/meta/v1/validation ValidateLabels`, `pkg/api/validation/objectmeta.go ValidateAnnotations`.
@Suite(.timeLimit(.minutes(3))) struct FieldFormatTests {
    static let formatError = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

    @Test func quantitiesParseAsParseQuantityDoes() throws {
        let valid: [(String, Double)] = [
            ("500m", 0.5), ("2Gi", 2_147_483_648), ("1e3", 1000), ("1E3", 1000), ("1e+3", 1000), ("1e-3", 0.001), ("1.5", 1.5),
            (".5", 0.5), ("1.", 1), ("+1", 1), ("-1", -1), ("0", 0), ("100M", 100_000_000), ("1Ki", 1024), ("1E", 1e18),
            ("12345678901234567890", 12_345_678_901_234_567_890),
        ]
        for (text, value) in valid {
            #expect(try Quantity.value(of: text) == value, "\(text)")
        }
        let invalid: [(String, Quantity.ParseError)] = [
            ("", .format), ("500 m", .format), ("1Gb", .format), ("1KiB", .format), ("abc", .format), ("1.5.5", .format), ("1 ", .format),
            ("1ki", .suffix), ("1e", .suffix), ("1m5", .suffix), ("1Mi2", .suffix),
            (".e-20", .numeric),
        ]
        for (text, error) in invalid {
            #expect(throws: error, "\(text)") { try Quantity.value(of: text) }
        }
        #expect(Quantity.ParseError.format.rawValue == Self.formatError)
        #expect(Quantity.ParseError.numeric.rawValue == "unable to parse numeric part of quantity")
        #expect(Quantity.ParseError.suffix.rawValue == "unable to parse quantity's suffix")
        // UnmarshalJSON: quotes stripped and the text trimmed; numbers are quantities; null is zero.
        try Quantity.decode(" 1Gi ")
        try Quantity.decode(2)
        try Quantity.decode(0.5)
        try Quantity.decode(.null)
        #expect(throws: Quantity.ParseError.format) { try Quantity.decode(true) }
        #expect(throws: Quantity.ParseError.format) { try Quantity.decode(["a": 1]) }
    }

    func pod(_ name: String, resources: JSONValue? = nil, volumes: JSONValue? = nil, overhead: JSONValue? = nil) -> JSONValue {
        var pod = podManifest(name)
        if let resources { pod[path: "spec", "containers"] = [["name": "main", "image": "busybox:1.36", "command": ["true"], "resources": resources]] }
        if let volumes { pod[path: "spec", "volumes"] = volumes }
        if let overhead { pod[path: "spec", "overhead"] = overhead }
        return pod
    }

    @Test func aBadQuantityIsA400DecodeErrorWhereverItSits() async throws {
        try await withCluster { cluster, kube in
            let cases: [JSONValue] = [
                pod("requests", resources: ["requests": ["cpu": "500 m"]]),
                pod("limits", resources: ["limits": ["memory": "1Gb"]]),
                pod("sizelimit", volumes: [["name": "scratch", "emptyDir": ["sizeLimit": "1KiB"]]]),
                pod("overhead", overhead: ["cpu": "abc"]),
            ]
            for manifest in cases {
                let answer = try await clusterRequest(cluster, "/api/v1/namespaces/default/pods", method: .post, body: manifest)
                #expect(answer.status == 400, "\(manifest)")
                #expect(try JSONValue.decode(answer.body) == [
                    "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
                    "message": .string(#"Pod in version "v1" cannot be handled as a Pod: "# + Self.formatError), "reason": "BadRequest", "code": 400,
                ])
            }
            // A decode error wins over strict field validation, as in one decode pass (it is fatal, they are not).
            var strict = pod("strict", resources: ["requests": ["cpu": "1ki"]])
            strict[path: "spec", "nodeSelectr"] = ["a": "b"]
            let suffix = try await clusterRequest(cluster, "/api/v1/namespaces/default/pods?fieldValidation=Strict", method: .post, body: strict)
            #expect(try JSONValue.decode(suffix.body)["message"] == #"Pod in version "v1" cannot be handled as a Pod: unable to parse quantity's suffix"#)
            // Workload templates are pod specs too.
            let job: JSONValue = [
                "apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "j"],
                "spec": ["template": ["spec": ["restartPolicy": "Never", "containers": [
                    ["name": "main", "image": "busybox", "command": ["true"], "resources": ["limits": ["cpu": "1.5.5"]]],
                ]]]],
            ]
            let jobAnswer = try await clusterRequest(cluster, "/apis/batch/v1/namespaces/default/jobs", method: .post, body: job)
            #expect(jobAnswer.status == 400)
            #expect(try JSONValue.decode(jobAnswer.body)["message"] == .string(#"Job in version "v1" cannot be handled as a Job: "# + Self.formatError))
            // Good quantities, strings or JSON numbers, are accepted.
            _ = try await kube.create(.pods, pod("fine", resources: ["requests": ["cpu": "250m", "memory": 64_000_000], "limits": ["cpu": 1]]))
        }
    }

    @Test func aNegativeQuantityParsesThenFailsValidation() async throws {
        try await withCluster { cluster, _ in
            let answer = try await clusterRequest(cluster, "/api/v1/namespaces/default/pods", method: .post, body: pod("neg", resources: ["requests": ["cpu": "-1"]]))
            #expect(answer.status == 422)
            let status = try JSONValue.decode(answer.body)
            #expect(status["message"] == #"Pod "neg" is invalid: spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0"#)
            #expect(status[path: "details", "causes"] == [[
                "reason": "FieldValueInvalid", "message": #"Invalid value: "-1": must be greater than or equal to 0"#,
                "field": "spec.containers[0].resources.requests[cpu]",
            ]])
        }
    }

    /// Every message as the apiserver writes it, the cause's field and the order of several causes.
    @Test func namesAndLabelsGetUpstreamsMessages() async throws {
        let subdomain = #"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#
        let label1123 = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        let labelValue = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        let qualified = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        let long = String(repeating: "a", count: 64)
        // (resource path, object, expected message)
        let cases: [(String, JSONValue, String)] = [
            ("pods", podManifest("My_Pod"), #"Pod "My_Pod" is invalid: metadata.name: Invalid value: "My_Pod": "# + subdomain),
            ("pods", podManifest("ok", labels: ["app": "bad value!"]), #"Pod "ok" is invalid: metadata.labels: Invalid value: "bad value!": "# + labelValue),
            ("pods", podManifest("ok", labels: ["app": long]), #"Pod "ok" is invalid: metadata.labels: Invalid value: "\#(long)": must be no more than 63 characters"#),
            ("pods", podManifest("ok", labels: ["Example.com/app": "x"]),
             #"Pod "ok" is invalid: metadata.labels: Invalid value: "Example.com/app": prefix part "# + subdomain),
            ("pods", podManifest("ok", labels: ["a/b/c": "x"]),
             #"Pod "ok" is invalid: metadata.labels: Invalid value: "a/b/c": a qualified name "# + qualified + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"),
            ("pods", podManifest("ok", labels: ["example.com/": "x"]),
             #"Pod "ok" is invalid: [metadata.labels: Invalid value: "example.com/": name part must be non-empty, metadata.labels: Invalid value: "example.com/": name part "# + qualified + "]"),
            ("pods", podManifest("ok", labels: ["example.com/-app": "x"]), #"Pod "ok" is invalid: metadata.labels: Invalid value: "example.com/-app": name part "# + qualified),
            ("namespaces", ["metadata": ["name": "a.b"]], #"Namespace "a.b" is invalid: metadata.name: Invalid value: "a.b": must not contain dots"#),
            ("namespaces", ["metadata": ["name": "A_b"]], #"Namespace "A_b" is invalid: metadata.name: Invalid value: "A_b": "# + label1123),
            ("namespaces", ["metadata": ["name": .string(long)]], #"Namespace "\#(long)" is invalid: metadata.name: Invalid value: "\#(long)": must be no more than 63 characters"#),
        ]
        try await withCluster { cluster, _ in
            for (resource, object, expected) in cases {
                let path = resource == "pods" ? "/api/v1/namespaces/default/pods" : "/api/v1/namespaces"
                let answer = try await clusterRequest(cluster, path, method: .post, body: object)
                #expect(answer.status == 422, "\(object)")
                #expect(try JSONValue.decode(answer.body)["message"]?.stringValue == expected)
            }
            // Label keys with a valid prefix, and empty values, are fine; annotation keys are checked lower-cased.
            _ = try await clusterRequest(cluster, "/api/v1/namespaces/default/pods", method: .post,
                                         body: podManifest("fine", labels: ["example.com/App_1": "", "app.kubernetes.io/name": "glue"]))
            var annotated = podManifest("annotated")
            annotated[path: "metadata", "annotations"] = ["Example.COM/Note": "ok", "bad key": "x"]
            let answer = try await clusterRequest(cluster, "/api/v1/namespaces/default/pods", method: .post, body: annotated)
            #expect(try JSONValue.decode(answer.body)["message"]?.stringValue == #"Pod "annotated" is invalid: metadata.annotations: Invalid value: "bad key": name part "# + qualified)
        }
    }

    @Test func nameFormatsTable() {
        #expect(NameFormats.dns1123Label("ok-1") == [])
        #expect(NameFormats.dns1123Label("-x") == [NameFormats.dns1123LabelMessage])
        #expect(NameFormats.dns1123Label(String(repeating: "A", count: 64)) == ["must be no more than 63 characters", NameFormats.dns1123LabelMessage])
        #expect(NameFormats.dns1123Subdomain("a.b-c.d") == [])
        #expect(NameFormats.dns1123Subdomain("a..b") == [NameFormats.dns1123SubdomainMessage])
        #expect(NameFormats.dns1035Label("1abc") == [NameFormats.dns1035LabelMessage])
        #expect(NameFormats.labelValue("") == [])
        #expect(NameFormats.labelValue("a-b_c.D") == [])
        #expect(NameFormats.labelValue("_a") == [NameFormats.labelValueMessage])
        #expect(NameFormats.qualifiedName("/a") == ["prefix part must be non-empty"])
        #expect(NameFormats.qualifiedName("k8s.io/" + String(repeating: "a", count: 64)) == ["name part must be no more than 63 characters"])
        #expect(NameFormats.dns1035LabelMessage == "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
    }
}
