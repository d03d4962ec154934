import DevCluster
import DevClusterTesting
import Foundation
import HTTPClient
import JSONValue
import KubeAPI
import Testing

/// Write decoding as kube-apiserver does it. Expected answers are written from the upstream source:
/// apiserver `handlers/rest.go transformDecodeError` (400 "<Kind> in version ... cannot be handled as a
/// <Kind>: <err>"), apimachinery `meta/v1/micro_time.go` (RFC3339Micro), `handlers/create.go` (strict
/// decoding and `addStrictDecodingWarnings`), `util/net/http.go NewWarningHeader` (`299 - "text"`),
/// `meta/v1/validation ValidateFieldValidation`/`ValidateDryRun` (422 on unsupported values).
@Suite(.timeLimit(.minutes(3))) struct DecodingStrictnessTests {
    func raw(_ cluster: DevCluster, _ path: String, method: HTTPMethod = .post, body: JSONValue) async throws -> HTTPResponse {
        let client = try HTTPClient(configuration: HTTPClientConfiguration(
            tls: TLSConfiguration(certificateAuthority: .file(cluster.caCertificatePath), trustSystemRoots: false), proxy: .none))
        return try await client.execute(HTTPRequest(
            method: method, url: cluster.server + path, headers: ["Content-Type": "application/json", "Accept": "application/json"],
            body: body.encoded(), authorization: .bearer(cluster.token)))
    }

    func lease(_ renewTime: String) -> JSONValue {
        ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": ["name": "glue"],
         "spec": ["holderIdentity": "a", "leaseDurationSeconds": 15, "acquireTime": .string(renewTime), "renewTime": .string(renewTime)]]
    }

    @Test func aLeaseWithMillisecondsIsRefusedAsUpstreamDoes() async throws {
        try await withCluster { cluster, _ in
            let answer = try await raw(cluster, "/apis/coordination.k8s.io/v1/namespaces/default/leases", body: lease("2026-12-03T15:10:48.635Z"))
            #expect(answer.status == 400)
            #expect(try JSONValue.decode(answer.body) == [
                "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
                "message": #"Lease in version "v1" cannot be handled as a Lease: parsing time "2026-12-03T15:10:48.635Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse ".635Z" as ".000000""#,
                "reason": "BadRequest", "code": 400,
            ])
            let wholeSeconds = try await raw(cluster, "/apis/coordination.k8s.io/v1/namespaces/default/leases", body: lease("2026-12-03T15:10:48Z"))
            #expect(wholeSeconds.status == 400)
            #expect(wholeSeconds.bodyText.contains(#"cannot parse \"Z\" as \".000000\""#))
            let micro = try await raw(cluster, "/apis/coordination.k8s.io/v1/namespaces/default/leases", body: lease("2026-12-03T15:10:48.635000Z"))
            #expect(micro.status == 201)
        }
    }

    @Test func unknownFieldsAreWarnedAboutByDefaultRefusedWhenStrictAndDroppedWhenIgnored() async throws {
        try await withCluster { cluster, kube in
            func pod(_ name: String) -> JSONValue {
                var pod = podManifest(name)
                pod[path: "spec", "nodeSelectr"] = ["disk": "ssd"]
                return pod
            }
            let warned = try await raw(cluster, "/api/v1/namespaces/default/pods", body: pod("warned"))
            #expect(warned.status == 201)
            #expect(warned.headers.values(for: "Warning") == [#"299 - "unknown field \"spec.nodeSelectr\"""#])
            #expect(try JSONValue.decode(warned.body)[path: "spec", "nodeSelectr"] == nil)

            let strict = try await raw(cluster, "/api/v1/namespaces/default/pods?fieldValidation=Strict", body: pod("strict"))
            #expect(strict.status == 400)
            #expect(try JSONValue.decode(strict.body)["message"] == #"Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.nodeSelectr""#)
            await expectKubeError(.notFound) { _ = try await kube.get(.pods, name: "strict") }

            let ignored = try await raw(cluster, "/api/v1/namespaces/default/pods?fieldValidation=Ignore", body: pod("ignored"))
            #expect(ignored.status == 201 && ignored.headers.values(for: "Warning").isEmpty)

            let lowercase = try await raw(cluster, "/api/v1/namespaces/default/pods?fieldValidation=strict", body: pod("lower"))
            #expect(lowercase.status == 422)
            #expect(try JSONValue.decode(lowercase.body)["message"] == #"CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn""#)
        }
    }

    @Test func aDryRunValidatesEverythingAndStoresNothing() async throws {
        try await withCluster { cluster, kube in
            let dry = try await kube.create(.pods, podManifest("dry"), options: WriteOptions(fieldValidation: .strict, dryRun: true))
            #expect(dry.object[path: "metadata", "uid"] != nil)
            #expect(dry.object[path: "metadata", "resourceVersion"] == nil)
            await expectKubeError(.notFound) { _ = try await kube.get(.pods, name: "dry") }
            await expectKubeError(.invalid) { _ = try await kube.create(.pods, podManifest("Bad_Name"), options: WriteOptions(dryRun: true)) }
            _ = try await kube.create(.pods, podManifest("exists"))
            await expectKubeError(.alreadyExists) { _ = try await kube.create(.pods, podManifest("exists"), options: WriteOptions(dryRun: true)) }
            let wrongValue = try await raw(cluster, "/api/v1/namespaces/default/pods?dryRun=true", body: podManifest("x"))
            #expect(wrongValue.status == 422)
            #expect(try JSONValue.decode(wrongValue.body)["message"] == #"CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["true"]: supported values: "All""#)
        }
    }
}
