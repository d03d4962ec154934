import Foundation

/// The pod's termination message: why the agent ended without running the task (a refused claim, a
/// task that is gone, a server it cannot reach). The kubelet puts it in the container's terminated
/// state, where the glue reads it for the task's status reason and `kubectl describe` shows it.
public enum TerminationLog {
    /// The glue sets this to the container's `terminationMessagePath`; without it the agent uses the
    /// kubelet's default, when that file exists (outside a pod it does not, and nothing is written).
    public static let pathVariable = "CLEARML_GLUE_TERMINATION_LOG"
    static let defaultPath = "/dev/termination-log"
    /// The kubelet keeps at most 4096 bytes of it.
    static let limit = 4096

    public static func write(_ message: String, environment: [String: String]) {
        let path = environment[pathVariable].flatMap { $0.isEmpty ? nil : $0 } ?? defaultPath
        guard environment[pathVariable] != nil || FileManager.default.fileExists(atPath: path),
              let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        var data = Data(message.utf8)
        if data.count > limit { data = Data(data.prefix(limit - 3)) + Data("...".utf8) }
        try? handle.truncate(atOffset: 0)
        try? handle.write(contentsOf: data)
    }
}
