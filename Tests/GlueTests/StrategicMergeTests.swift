import JSONValue
import Testing
@testable import Glue

@Suite struct StrategicMergeTests {
    @Test func objectsMergeScalarsAreReplacedAndNullDeletes() {
        let base: JSONValue = ["spec": ["nodeSelector": ["a": "1"], "priority": 1, "tolerations": [["key": "x"]]], "drop": true]
        let overlay: JSONValue = ["spec": ["nodeSelector": ["b": "2"], "priority": 5, "tolerations": [["key": "y"]]], "drop": nil]
        #expect(StrategicMerge.merge(base, overlay) == ["spec": ["nodeSelector": ["a": "1", "b": "2"], "priority": 5, "tolerations": [["key": "y"]]]])
    }

    @Test func namedListsMergeItemByItem() {
        let base: JSONValue = ["containers": [["name": "main", "image": "a", "env": [["name": "X", "value": "1"], ["name": "Y", "value": "2"]]], ["name": "sidecar"]]]
        let overlay: JSONValue = ["containers": [["name": "main", "env": [["name": "Y", "value": "3"], ["name": "Z", "value": "4"]], "resources": ["limits": ["cpu": "2"]]]]]
        let merged = StrategicMerge.merge(base, overlay)
        let main = merged["containers"]?.arrayValue?.first
        #expect(main?["image"] == "a")
        #expect(main?["env"] == [["name": "X", "value": "1"], ["name": "Y", "value": "3"], ["name": "Z", "value": "4"]])
        #expect(main?["resources"] == ["limits": ["cpu": "2"]])
        #expect(merged["containers"]?.arrayValue?.count == 2)
    }

    @Test func mountsMergeOnTheirPath() {
        let merged = StrategicMerge.merge(["volumeMounts": [["name": "a", "mountPath": "/data"]]],
                                          ["volumeMounts": [["name": "b", "mountPath": "/data"], ["name": "c", "mountPath": "/cache"]]])
        #expect(merged["volumeMounts"] == [["name": "b", "mountPath": "/data"], ["name": "c", "mountPath": "/cache"]])
    }
}
