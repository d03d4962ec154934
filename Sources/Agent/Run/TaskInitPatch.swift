import Foundation

/// `CLEARML_AGENT_FORCE_TASK_INIT`: makes the entry script call `Task.init()` first, for scripts that do
/// not use the SDK themselves (the agent then attaches it to this task through CLEARML_TASK_ID).
public enum TaskInitPatch {
    static let marker = "# clearml-glue: Task.init added (CLEARML_AGENT_FORCE_TASK_INIT)"

    /// The script with the call inserted after the shebang, encoding line, docstring-free `__future__`
    /// imports; unchanged when already patched.
    public static func patched(_ source: String) -> String {
        guard !source.contains(marker) else { return source }
        var lines = source.components(separatedBy: "\n")
        var index = 0
        while index < lines.count {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            if index == 0 && line.hasPrefix("#!") || line.hasPrefix("# -*-") || line.hasPrefix("# coding") || line.hasPrefix("from __future__") {
                index += 1
            } else {
                break
            }
        }
        lines.insert(contentsOf: [marker, "from clearml import Task as __ClearmlTask", "__ClearmlTask.init()"], at: index)
        return lines.joined(separator: "\n")
    }

    public static func apply(to path: String) throws {
        guard let source = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw AgentError.setupFailed("CLEARML_AGENT_FORCE_TASK_INIT: cannot read the entry script \(path)")
        }
        try Data(patched(source).utf8).write(to: URL(fileURLWithPath: path))
    }
}

/// `CLEARML_AGENT_EXEC_USER`: runs the task as another user (the agent must be root). `runuser` keeps
/// the environment the SDK needs; without it, `sudo -E`.
public enum ExecUser {
    public static func wrap(_ command: [String], user: String, path: String?) -> [String] {
        if ChildProcess.resolve("runuser", path: path).contains("/") { return ["runuser", "-u", user, "--"] + command }
        return ["sudo", "-E", "-H", "-u", user, "--"] + command
    }
}
