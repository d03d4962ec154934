import ClearMLConfig

/// The command line that runs a task's entry point, as upstream builds it: `python -u [-O] script.py`,
/// `python -u -m package.module args` for module entry points, or the shell for bash tasks.
public enum EntryCommand {
    public static func make(python: String, scriptBinary: String?, entryPoint: String, optimization: Int = 0,
                            shell: String = "/bin/bash") throws(AgentError) -> [String] {
        let entry = entryPoint.trimmingCharacters(in: .whitespaces)
        if PythonChoice.isShell(scriptBinary) {
            if entry.hasPrefix("-c ") { return [shell, "-c", String(entry.dropFirst(3))] }
            return [shell, entry]
        }
        var command = [python, "-u"]
        if optimization > 0 { command.append("-" + String(repeating: "O", count: min(optimization, 2))) }
        if entry.hasPrefix("-m ") || entry == "-m" {
            do { command += try ShellWords.split(entry) } catch {
                throw .invalidInput("script.entry_point '\(entry)' has unbalanced quotes: fix the task's entry point")
            }
        } else {
            command.append(entry)
        }
        return command
    }
}
