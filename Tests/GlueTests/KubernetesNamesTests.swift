import Testing
@testable import Glue

@Suite struct KubernetesNamesTests {
    @Test(arguments: [
        ("Default", "default"), ("GPU_Queue  #1", "gpu-queue-1"), ("--x--", "x"), ("a.b/c", "a-b-c"),
        ("ÄÖ-team", "team"), ("", ""),
        (String(repeating: "a", count: 62) + "-bcd", String(repeating: "a", count: 62)),
    ])
    func labelValues(raw: String, expected: String) {
        let value = KubernetesNames.labelValue(raw)
        #expect(value == expected)
        #expect(value.count <= 63)
    }

    @Test func podNameKeepsTheTaskIDWholeAndShortensTheSuffixingPrefix() throws {
        let id = "0123456789abcdef0123456789abcdef"
        #expect(try KubernetesNames.podName(prefix: "clearml-id-", taskID: id) == "clearml-id-" + id)
        #expect(try KubernetesNames.podName(prefix: "My_Team.Prefix-", taskID: id) == "my-team-prefix-" + id)
        let long = try KubernetesNames.podName(prefix: String(repeating: "p", count: 80), taskID: id)
        #expect(long.count == 63 && long.hasSuffix(id))
        #expect(try KubernetesNames.podName(prefix: "-x-", taskID: "ABC") == "x-abc")
        #expect(throws: RenderError.self) { try KubernetesNames.podName(prefix: "p-", taskID: "../etc") }
        #expect(throws: RenderError.self) { try KubernetesNames.podName(prefix: "p-", taskID: "") }
    }

    @Test func agentLabelMatchesUpstreamHash() {
        // md5("glue-worker") = 7b1e2a3b..., upstream takes the first 8 hex digits.
        #expect(KubernetesNames.agentLabel(workerID: "glue-worker").hasPrefix("agent-"))
        #expect(KubernetesNames.agentLabel(workerID: "glue-worker").count == 14)
        #expect(KubernetesNames.agentLabel(workerID: "") == "agent")
        #expect(KubernetesNames.agentLabel(workerID: "a") != KubernetesNames.agentLabel(workerID: "b"))
        #expect(KubernetesNames.agentLabel(workerID: "abc") == "agent-90015098")  // md5("abc") = 900150983cd2...
    }
}
