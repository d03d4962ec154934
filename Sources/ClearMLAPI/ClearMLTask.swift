import JSONValue

/// A task document as the server returns it, kept whole (any field survives), with typed views of what
/// the glue and the agent read.
public struct ClearMLTask: Sendable, Equatable {
    public var document: JSONValue

    public init(_ document: JSONValue) { self.document = document }

    public var id: String { document["id"]?.stringValue ?? "" }
    public var name: String { document["name"]?.stringValue ?? "" }
    public var status: TaskStatus { TaskStatus(rawValue: document["status"]?.stringValue ?? "unknown") }
    public var statusMessage: String? { document["status_message"]?.stringValue }
    public var statusReason: String? { document["status_reason"]?.stringValue }
    public var project: String? { document["project"]?.stringValue }
    public var parent: String? { document["parent"]?.stringValue }
    public var user: String? { document["user"]?.stringValue }
    public var type: String? { document["type"]?.stringValue }
    public var executionQueue: String? { document.value(at: "execution.queue")?.stringValue }
    public var lastWorker: String? { document["last_worker"]?.stringValue }
    public var runtime: [String: JSONValue] { document["runtime"]?.objectValue ?? [:] }
    public var systemTags: [String] { document["system_tags"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    public var tags: [String] { document["tags"]?.arrayValue?.compactMap(\.stringValue) ?? [] }

    /// The container the task asks for (`container` on current servers).
    public var container: Container {
        let container = document["container"]
        return Container(
            image: container?["image"]?.stringValue,
            arguments: container?["arguments"]?.stringValue,
            setupShellScript: container?["setup_shell_script"]?.stringValue
        )
    }

    public struct Container: Sendable, Equatable {
        public var image: String?
        public var arguments: String?
        public var setupShellScript: String?
    }

    /// The code to run (`script.*`).
    public var script: Script {
        let script = document["script"]
        return Script(
            repository: script?["repository"]?.stringValue, branch: script?["branch"]?.stringValue,
            tag: script?["tag"]?.stringValue, versionNum: script?["version_num"]?.stringValue,
            entryPoint: script?["entry_point"]?.stringValue, workingDir: script?["working_dir"]?.stringValue,
            binary: script?["binary"]?.stringValue, diff: script?["diff"]?.stringValue,
            requirements: script?["requirements"] ?? nil
        )
    }

    public struct Script: Sendable, Equatable {
        public var repository: String?
        public var branch: String?
        public var tag: String?
        public var versionNum: String?
        public var entryPoint: String?
        public var workingDir: String?
        public var binary: String?
        public var diff: String?
        public var requirements: JSONValue
    }
}

/// `{updated, fields}`: what a status change or edit did.
public struct UpdateResult: Sendable, Equatable {
    public var updated: Int
    public var fields: JSONValue
    public var data: JSONValue

    init(_ data: JSONValue) {
        self.data = data
        updated = Int(data["updated"]?.intValue ?? 0)
        fields = data["fields"] ?? [:]
    }
}
