@testable import DevCluster
import JSONValue
import Foundation
import KubeAPI
import Testing

@Suite struct UnitTests {
    @Test func labelSelectors() throws {
        let object: JSONValue = ["metadata": ["labels": ["app": "glue", "tier": "a"]]]
        let cases: [(String, Bool)] = [
            ("app=glue", true), ("app==glue,tier=a", true), ("app!=glue", false), ("app", true), ("!app", false),
            ("tier in (a,b)", true), ("tier notin (a)", false), ("missing notin (a)", true), ("app=other", false),
        ]
        for (text, expected) in cases {
            #expect(try LabelSelector(parsing: text).matches(object) == expected, "\(text)")
        }
    }

    @Test func quantitiesAndUnschedulableMessages() {
        #expect(Quantity.parse("500m") == 0.5)
        #expect(Quantity.parse("2Gi") == 2_147_483_648)
        #expect(Quantity.parse("1e3") == 1000)
        let node = NodeCapacity(cpu: 2, memory: 1_073_741_824, gpus: 0)
        #expect(node.unschedulableMessage(request: ResourceRequest(cpu: 4, memory: 2_147_483_648, gpus: 0), used: ResourceRequest())
            == "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.")
        #expect(node.unschedulableMessage(request: ResourceRequest(cpu: 1, memory: 0, gpus: 0), used: ResourceRequest()) == nil)
    }

    @Test func jsonPatchAndStrategicMerge() throws {
        let doc: JSONValue = ["a": ["b": [1, 2]], "spec": ["containers": [["name": "x", "image": "1"], ["name": "y", "image": "2"]]]]
        let patched = try Patching.jsonPatch(doc, operations: [
            ["op": "add", "path": "/a/b/-", "value": 3], ["op": "replace", "path": "/a/b/0", "value": 0], ["op": "test", "path": "/a/b/1", "value": 2],
        ])
        #expect(patched["a"] == ["b": [0, 2, 3]])
        #expect(throws: APIError.self) { try Patching.jsonPatch(doc, operations: [["op": "remove", "path": "/nope"]]) }
        let merged = Patching.strategicMerge(doc, patch: ["spec": ["containers": [["name": "y", "image": "3"]]]])
        #expect(merged[path: "spec", "containers"] == [["name": "x", "image": "1"], ["name": "y", "image": "3"]])
    }

    @Test func kubeletVariableExpansion() {
        #expect(ContainerPlan.expand("$(A)-$(B)-$$(A)", ["A": "1"]) == "1-$(B)-$(A)")
    }

    @Test func podStatusColumn() {
        var pod: JSONValue = ["spec": ["initContainers": [["name": "i"]], "containers": [["name": "c"]]], "status": ["phase": "Pending"]]
        pod[path: "status", "initContainerStatuses"] = [["name": "i", "state": ["running": [:]]]]
        #expect(TableView.podStatus(pod) == "Init:0/1")
        pod[path: "status", "initContainerStatuses"] = [["name": "i", "state": ["terminated": ["exitCode": 0]]]]
        pod[path: "status", "containerStatuses"] = [["name": "c", "state": ["waiting": ["reason": "ImagePullBackOff"]]]]
        #expect(TableView.podStatus(pod) == "ImagePullBackOff")
        pod[path: "metadata", "deletionTimestamp"] = "2024-01-01T00:00:00Z"
        #expect(TableView.podStatus(pod) == "Terminating")
    }
}
