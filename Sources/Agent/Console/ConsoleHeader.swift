import ClearMLAPI
import ClearMLConfig

/// The lines a task's console starts and ends its setup with, in upstream clearml-agent's shape, so parsers
/// written for upstream consoles (recorded in Tests/Fixtures/traces/14-pod-execute-after-official-glue.jsonl)
/// keep finding them: the configuration block, `Executing task id [T]:` with the execution fields, and
/// `Running task id [T]:` ... `Starting Task Execution:`. Lines only this agent writes carry `marker`.
public enum ConsoleHeader {
    /// The prefix of the agent's own lines that upstream does not write.
    public static let marker = "[clearml-glue] "

    /// Marks a line as this agent's own.
    public static func marked(_ line: String) -> String { marker + line }

    /// Upstream `Session.print_configuration` (clearml_agent/session.py): a title, a rule, `key = value`
    /// properties, a blank line. Ours lists the settings the run uses, never a secret's value.
    public static func configuration(settings: ClearMLSettings, configFile: String?, worker: String) -> [String] {
        let api = settings.api
        var properties: [(String, String)] = [
            ("agent.worker_id", worker),
            ("api.api_server", api.apiServer),
            ("api.web_server", api.webServer),
            ("api.files_server", api.filesServer),
        ]
        if let key = api.accessKey, !key.isEmpty {
            // As upstream: the access key is an identifier and is shown; the secret never is.
            properties.append(("api.credentials.access_key", key))
            properties.append(("api.credentials.secret_key", "****"))
        }
        return ["Current configuration (clearml-glue agent, location: \(configFile ?? "none")):", "----------------------"]
            + properties.map { "\($0.0) = \($0.1)" } + [""]
    }

    /// Upstream `get_execution_info` (clearml_agent/commands/worker.py): the task id, then the execution
    /// fields in the order the recorded 3.0.3 console shows them, then a blank line. Docker `-e` values are
    /// hidden, as upstream's `DockerArgsSanitizer` does by default.
    public static func execution(taskID: String, script: ClearMLTask.Script, container: ClearMLTask.Container) -> [String] {
        // Unbalanced quotes fall back to whitespace words: the line is informative, never a reason to fail.
        let arguments = container.arguments ?? ""
        let words = (try? ShellWords.split(arguments)) ?? arguments.split(whereSeparator: \.isWhitespace).map(String.init)
        let docker = ([container.image ?? ""] + words).filter { !$0.isEmpty }
        let fields: [(String, String)] = [
            ("repository", script.repository ?? ""),
            ("branch", script.branch ?? ""),
            ("version_num", script.versionNum ?? ""),
            ("tag", script.tag ?? ""),
            ("docker_cmd", hidingEnvironmentValues(docker).joined(separator: " ")),
            ("entry_point", script.entryPoint ?? ""),
            ("working_dir", script.workingDir ?? ""),
        ]
        return ["Executing task id [\(taskID)]:"] + fields.map { "\($0.0) = \($0.1)" } + [""]
    }

    /// Upstream's last setup lines before the task's own output (worker.py, `_task_logging_pass_control_message`
    /// onwards): the command, the installed packages (`dump_flat_dict`) or "No freeze information available",
    /// then the hand-over.
    public static func running(taskID: String, workingDir: String, command: [String], freeze: [String]?) -> [String] {
        var lines = ["Running task id [\(taskID)]:", "[\(workingDir)]$ \(command.joined(separator: " "))"]
        if let freeze, !freeze.isEmpty {
            lines.append("Summary - installed python packages:")
            lines.append("pip:")
            lines += freeze.map { "- \($0)" }.sorted { $0.lowercased() < $1.lowercased() }
        } else {
            lines.append("No freeze information available")
        }
        return lines + ["Environment setup completed successfully", "", "Starting Task Execution:", ""]
    }

    /// `-e KEY=VALUE`, `--env KEY=VALUE`, `--env=KEY=VALUE` and `-eKEY=VALUE` with the value replaced.
    static func hidingEnvironmentValues(_ words: [String]) -> [String] {
        var out: [String] = []
        var hideNext = false
        for word in words {
            if hideNext {
                out.append(hidingValue(word))
                hideNext = false
            } else if word == "-e" || word == "--env" {
                out.append(word)
                hideNext = true
            } else if word.hasPrefix("--env=") {
                out.append("--env=" + hidingValue(String(word.dropFirst("--env=".count))))
            } else if word.hasPrefix("-e"), word.count > 2, !word.hasPrefix("--") {
                out.append("-e" + hidingValue(String(word.dropFirst(2))))
            } else {
                out.append(word)
            }
        }
        return out
    }

    private static func hidingValue(_ assignment: String) -> String {
        guard let equals = assignment.firstIndex(of: "=") else { return assignment }
        return assignment[..<equals] + "=********"
    }
}
