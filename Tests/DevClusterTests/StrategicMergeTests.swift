@testable import DevCluster
import JSONValue
import Testing

/// Strategic merge patch as apimachinery pkg/util/strategicpatch/patch.go applies it: lists with a merge key
/// (k8s.io/api struct tags `patchStrategy:"merge" patchMergeKey:"..."`) merge by that key, others are replaced;
/// the `$patch`, `$retainKeys`, `$setElementOrder/` and `$deleteFromPrimitiveList/` directives. The patches below
/// have the shapes Helm 3's three-way merge (`strategicpatch.CreateThreeWayMergePatch`) sends on `helm upgrade`.
@Suite struct StrategicMergeTests {
    let deployment: JSONValue = [
        "metadata": ["name": "d", "labels": ["app": "d", "tier": "x"], "finalizers": ["a"]],
        "spec": [
            "replicas": 1,
            "strategy": ["type": "Recreate"],
            "template": ["spec": [
                "containers": [[
                    "name": "glue", "image": "glue:1", "args": ["glue", "--queue=a"],
                    "env": [["name": "A", "value": "1"], ["name": "B", "value": "2"]],
                    "volumeMounts": [["name": "config", "mountPath": "/etc/config"], ["name": "tmp", "mountPath": "/tmp"]],
                    "ports": [["name": "metrics", "containerPort": 9090]],
                ]],
                "volumes": [["name": "config", "configMap": ["name": "c"]], ["name": "tmp", "emptyDir": [:]]],
                "tolerations": [["key": "a", "operator": "Exists"]],
            ]],
        ],
    ]

    func patched(_ patch: JSONValue) -> JSONValue { StrategicMerge.apply(deployment, patch: patch) }
    var container: (JSONValue) -> JSONValue? { { $0[path: "spec", "template", "spec", "containers"]?[0] } }

    @Test func listsWithAMergeKeyMergeByItAndOthersAreReplaced() {
        let result = patched(["spec": ["template": ["spec": [
            "containers": [["name": "glue", "args": ["glue", "--queue=a,b", "--max-pods=2"], "env": [["name": "B", "value": "3"], ["name": "C", "value": "4"]]]],
            "tolerations": [["key": "b", "operator": "Exists"]],
        ]]]])
        let glue = container(result)
        #expect(glue?["image"] == "glue:1", "untouched fields of the merged element stay")
        #expect(glue?["args"] == ["glue", "--queue=a,b", "--max-pods=2"], "args has no merge strategy: replaced")
        #expect(glue?["env"] == [["name": "A", "value": "1"], ["name": "B", "value": "3"], ["name": "C", "value": "4"]])
        #expect(result[path: "spec", "template", "spec", "tolerations"] == [["key": "b", "operator": "Exists"]], "tolerations are atomic")
    }

    @Test func volumeMountsMergeByMountPathAndPortsByContainerPort() {
        let result = patched(["spec": ["template": ["spec": ["containers": [[
            "name": "glue",
            "volumeMounts": [["name": "cache", "mountPath": "/tmp"]],
            "ports": [["containerPort": 9090, "protocol": "TCP"]],
        ]]]]]])
        #expect(container(result)?["volumeMounts"] == [["name": "config", "mountPath": "/etc/config"], ["name": "cache", "mountPath": "/tmp"]])
        #expect(container(result)?["ports"] == [["name": "metrics", "containerPort": 9090, "protocol": "TCP"]])
        let service: JSONValue = ["spec": ["ports": [["name": "http", "port": 80, "targetPort": 8080], ["name": "metrics", "port": 9090]]]]
        let merged = StrategicMerge.apply(service, patch: ["spec": ["ports": [["port": 9090, "targetPort": "metrics"]]]])
        #expect(merged[path: "spec", "ports"] == [["name": "http", "port": 80, "targetPort": 8080], ["name": "metrics", "port": 9090, "targetPort": "metrics"]],
                "a Service's ports merge by port")
    }

    @Test func deleteDirectivesAndNull() {
        let result = patched([
            "metadata": ["labels": ["tier": .null]],
            "spec": ["template": ["spec": [
                "containers": [["name": "glue", "env": [["name": "A", "$patch": "delete"]]]],
                "volumes": [["name": "tmp", "$patch": "delete"]],
                "$setElementOrder/volumes": [["name": "config"]],
            ]]],
        ])
        #expect(result[path: "metadata", "labels"] == ["app": "d"], "null removes a key")
        #expect(container(result)?["env"] == [["name": "B", "value": "2"]], "$patch: delete removes the element with that key")
        #expect(result[path: "spec", "template", "spec", "volumes"] == [["name": "config", "configMap": ["name": "c"]]])
        let strip = patched(["metadata": ["$deleteFromPrimitiveList/finalizers": ["a"], "finalizers": ["b"]]])
        #expect(strip[path: "metadata", "finalizers"] == ["b"], "finalizers merge as a set; $deleteFromPrimitiveList removes")
    }

    @Test func retainKeysClearsTheOtherMembersOfAUnion() {
        // From Recreate to RollingUpdate, as `kubectl apply`/Helm 3 send it for DeploymentStrategy (patchStrategy retainKeys).
        let rolling = patched(["spec": ["strategy": [
            "$retainKeys": ["rollingUpdate", "type"], "type": "RollingUpdate", "rollingUpdate": ["maxSurge": 1, "maxUnavailable": 0],
        ]]])
        #expect(rolling[path: "spec", "strategy"] == ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 1, "maxUnavailable": 0]])
        let back = StrategicMerge.apply(rolling, patch: ["spec": ["strategy": ["$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": .null]]])
        #expect(back[path: "spec", "strategy"] == ["type": "Recreate"])
    }

    @Test func replaceDirectives() {
        let map = patched(["spec": ["template": ["spec": ["containers": [["name": "glue", "env": [["$patch": "replace"], ["name": "Z", "value": "9"]]]]]]]])
        #expect(container(map)?["env"] == [["name": "Z", "value": "9"]], "a {$patch: replace} element makes the list replace")
        let whole = patched(["metadata": ["labels": ["$patch": "replace", "only": "this"]]])
        #expect(whole[path: "metadata", "labels"] == ["only": "this"])
    }

    @Test func setElementOrderReordersTheMergedList() {
        let result = patched(["spec": ["template": ["spec": ["containers": [[
            "name": "glue", "$setElementOrder/env": [["name": "B"], ["name": "A"]],
        ]]]]]])
        #expect(container(result)?["env"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["B", "A"])
    }
}
