import JSONValue

/// The task container's environment, layer by layer: the template's entries, the glue's own, the
/// operator's extras (`--child-report-tags`...), then the task's `-e`. An entry with a name already there
/// replaces that entry whole, in its place: entries are never merged, so a `value` never meets a
/// `valueFrom` (the API server's 422 `may not be specified when value is not empty`). Within the task's
/// own arguments the last of a name wins, as `docker run` does.
struct PodEnvironment {
    /// What the glue sets and a task may not change: the credentials (read from the Secret), the task
    /// and worker ids (the claim and the pod's labels depend on them), and where the agent is.
    static let reserved: Set<String> = [
        "CLEARML_API_ACCESS_KEY", "CLEARML_API_SECRET_KEY", "CLEARML_TASK_ID", "CLEARML_WORKER_ID", AgentMode.agentDirectoryVariable,
    ]

    private(set) var entries: [JSONValue]
    private(set) var notes: [String] = []
    /// Names the glue itself set; with `reserved`, the ones a later layer may not replace.
    private var protected: Set<String> = []

    init(template: [JSONValue]) { entries = template }

    /// The glue's own entries: they replace the template's whole; the reserved ones stay.
    mutating func setGlue(_ glue: [JSONValue]) {
        for entry in glue {
            replace(entry)
            if let name = entry["name"]?.stringValue, Self.reserved.contains(name) || entry["valueFrom"] != nil { protected.insert(name) }
        }
    }

    /// Entries from the operator or the task: a protected name is ignored with a note naming its source.
    mutating func set(_ pairs: [(name: String, value: String)], from source: String) throws(RenderError) {
        for (name, value) in pairs {
            if protected.contains(name) || Self.reserved.contains(name) {
                notes.append("\(source) sets \(name), which only the glue sets: ignored")
                continue
            }
            // A process environment is a list of C strings: a NUL would cut the value (or the pod's start).
            if value.unicodeScalars.contains("\0") {
                throw RenderError("\(source): the value of environment variable \(name) contains a NUL character, which no process environment can hold; remove it")
            }
            replace(["name": .string(name), "value": .string(value)])
        }
    }

    private mutating func replace(_ entry: JSONValue) {
        if let name = entry["name"], let index = entries.firstIndex(where: { $0["name"] == name }) {
            entries[index] = entry
        } else {
            entries.append(entry)
        }
    }
}
