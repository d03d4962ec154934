import JSONValue

/// Fields older API versions expect. Upstream converts `container` into the pre-2.13 `execution.docker_cmd`
/// when a client asks with an old version (the agent reads tasks at v2.5).
enum LegacyFields {
    static let containerIntroduced = APIVersion(2, 13)

    static func adapt(_ task: JSONValue, for version: APIVersion) -> JSONValue {
        guard version < containerIntroduced, let image = task["container"]?["image"]?.strictString, !image.isEmpty,
              task["execution"]?.objectValue != nil
        else { return task }
        var task = task
        let arguments = task["container"]?["arguments"]?.strictString ?? ""
        task.set(.string(arguments.isEmpty ? image : image + " " + arguments), at: ["execution", "docker_cmd"])
        return task
    }
}
