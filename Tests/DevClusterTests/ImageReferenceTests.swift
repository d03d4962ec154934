@testable import DevCluster
import DevClusterTesting
import Foundation
import HTTPClient
import JSONValue
import KubeAPI
import Testing

/// Image references as the kubelet parses them before a pull: distribution/reference `regexp.go`,
/// `normalize.go ParseNormalizedNamed`/`splitDockerDomain`, `reference.go Parse`, go-digest `Validate`;
/// the kubelet's status from k/k `pkg/kubelet/images/image_manager.go EnsureImageExists`
/// (`Failed to apply default image tag %q: %v`, reason `InvalidImageName`) and `pkg/util/parsers
/// ParseImageName` (`couldn't parse image name %q: %v`). Texts in /work/notes/k8s-rules.md §6.
@Suite(.timeLimit(.minutes(3))) struct ImageReferenceTests {
    static let hex64 = String(repeating: "0123456789abcdef", count: 4)

    @Test func validReferencesAndWhatTheyNormaliseTo() {
        let cases: [(String, ImageReference.Parsed)] = [
            ("python:3.11-slim", .init(domain: "docker.io", path: "library/python", tag: "3.11-slim")),
            ("busybox", .init(domain: "docker.io", path: "library/busybox")),
            ("localhost:5000/a/b:tag@sha256:\(Self.hex64)", .init(domain: "localhost:5000", path: "a/b", tag: "tag", digest: "sha256:\(Self.hex64)")),
            ("localhost/app", .init(domain: "localhost", path: "app")),
            ("ghcr.io/owner/img:1", .init(domain: "ghcr.io", path: "owner/img", tag: "1")),
            ("UPPER/foo", .init(domain: "UPPER", path: "foo")),
            ("index.docker.io/library/nginx", .init(domain: "docker.io", path: "library/nginx")),
            ("pytorch/pytorch:2", .init(domain: "docker.io", path: "pytorch/pytorch", tag: "2")),
            ("[::1]:5000/foo/bar:latest", .init(domain: "[::1]:5000", path: "foo/bar", tag: "latest")),
            ("registry.example.com:443/team/app@sha256:\(Self.hex64)", .init(domain: "registry.example.com:443", path: "team/app", digest: "sha256:\(Self.hex64)")),
            ("a__b/c--d.e_f:Tag_1.x-y", .init(domain: "docker.io", path: "a__b/c--d.e_f", tag: "Tag_1.x-y")),
            ("foo:" + String(repeating: "t", count: 128), .init(domain: "docker.io", path: "library/foo", tag: String(repeating: "t", count: 128))),
        ]
        for (image, expected) in cases {
            #expect(ImageReference.parse(image) == .success(expected), "\(image)")
            #expect(ImageReference.invalidImageNameMessage(image) == nil, "\(image)")
        }
    }

    @Test func invalidReferencesWithTheParsersError() {
        let longPath = "a/" + String(repeating: "x", count: 254)
        let cases: [(String, String)] = [
            ("python:3.11-slim;", "invalid reference format"),
            ("Python:3", "invalid reference format: repository name (library/Python) must be lowercase"),
            ("ghcr.io/OWNER/img:1", "invalid reference format: repository name (OWNER/img) must be lowercase"),
            ("a/B", "invalid reference format: repository name (a/B) must be lowercase"),
            ("foo:", "invalid reference format"),
            (":tag", "invalid reference format"),
            ("foo::bar", "invalid reference format"),
            ("foo bar", "invalid reference format"),
            ("nginx\n", "invalid reference format"),
            ("foo:" + String(repeating: "t", count: 129), "invalid reference format"),
            ("foo@sha256:abc", "invalid reference format"),
            ("-foo", "invalid reference format"),
            ("foo/", "invalid reference format"),
            (Self.hex64, "invalid repository name (\(Self.hex64)), cannot specify 64-byte hexadecimal strings"),
            (longPath, "repository name must not be more than 255 characters"),
            ("foo@sha256:" + String(repeating: "a", count: 40), "invalid checksum digest length"),
            ("foo@sha256:" + Self.hex64.uppercased(), "invalid checksum digest format"),
            ("foo@md5:" + String(repeating: "a", count: 32), "unsupported digest algorithm"),
        ]
        for (image, error) in cases {
            #expect(ImageReference.parse(image) == .failure(ImageReference.ParseError(error)), "\(image)")
        }
        #expect(ImageReference.invalidImageNameMessage("python:3.11-slim;")
            == #"Failed to apply default image tag "python:3.11-slim;": couldn't parse image name "python:3.11-slim;": invalid reference format"#)
    }

    /// The API server takes the pod; the kubelet leaves the container waiting and pulls nothing.
    @Test func anInvalidImageLeavesThePodPendingWithInvalidImageName() async throws {
        try await withCluster { cluster, kube in
            var pod = podManifest("badimage", command: ["sh", "-c", "echo ran > $HOME/ran"])
            pod[path: "spec", "containers"] = [["name": "main", "image": "python:3.11-slim;", "command": ["true"]]]
            _ = try await kube.create(.pods, pod)
            let waiting = try await eventually { () -> (String, String?)? in
                if case .waiting(let reason, let message) = PodView(try await kube.get(.pods, name: "badimage")).containerStatuses.first?.state,
                   reason == "InvalidImageName" { return ("InvalidImageName", message) }
                return nil
            }
            #expect(waiting?.1 == #"Failed to apply default image tag "python:3.11-slim;": couldn't parse image name "python:3.11-slim;": invalid reference format"#)
            try await Task.sleep(for: .milliseconds(300))
            #expect(PodView(try await kube.get(.pods, name: "badimage")).phase == "Pending")
            let events = try await kube.list(.events, namespace: "default", options: ListOptions(fieldSelector: "involvedObject.name=badimage")).items
            #expect(events.contains { $0["reason"] == "InspectFailed" && $0["type"] == "Warning" && $0["message"] == waiting.map { .string($0.1 ?? "") } })
            #expect(events.contains { $0["reason"] == "Failed" && $0["message"] == "Error: InvalidImageName" })
            #expect(!events.contains { $0["reason"] == "Pulled" || $0["reason"] == "Started" })
            // An init container's image is judged when its turn comes; the app container then never starts.
            var initPod = podManifest("badinit")
            initPod[path: "spec", "initContainers"] = [["name": "setup", "image": "Busybox", "command": ["true"]]]
            _ = try await kube.create(.pods, initPod)
            let initReason = try await eventually { () -> String? in
                let view = PodView(try await kube.get(.pods, name: "badinit"))
                if case .waiting(let reason, _) = view.initContainerStatuses.first?.state, reason == "InvalidImageName" { return reason }
                return nil
            }
            #expect(initReason == "InvalidImageName")
            // Deleting such a pod is immediate: nothing runs.
            _ = try await kube.delete(.pods, name: "badimage")
            let gone = try await eventually { () -> Bool? in
                do { _ = try await kube.get(.pods, name: "badimage"); return nil } catch let e as KubeError where e.kind == .notFound { return true }
            }
            #expect(gone == true)
            // Whitespace around the reference is the API server's business (validateContainerOnlyForPod): a 422.
            var spaced = podManifest("spaced")
            spaced[path: "spec", "containers"] = [["name": "main", "image": "nginx ", "command": ["true"]]]
            let answer = try await clusterRequest(cluster, "/api/v1/namespaces/default/pods", method: .post, body: spaced)
            #expect(answer.status == 422)
            #expect(try JSONValue.decode(answer.body)["message"] == #"Pod "spaced" is invalid: spec.containers[0].image: Invalid value: "nginx ": must not have leading or trailing whitespace"#)
        }
    }
}
