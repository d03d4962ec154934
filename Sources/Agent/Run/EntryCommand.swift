import ClearMLConfig

/// The command line that runs a task's entry point, as upstream builds it: `python -u [-O] script.py`,
/// `python -u -m package.module args` for module entry points, or the shell for shell tasks: the one
/// `script.binary` names (`/bin/bash`, `/bin/sh`; a bare `bash`/`sh`/`zsh` is looked up on PATH), so a task
/// with `script.binary` `/bin/sh` also runs in an image without bash (busybox).
public enum EntryCommand {
    public static func make(python: String, scriptBinary: String?, entryPoint: String, optimization: Int = 0,
                            shell: String? = nil) throws(AgentError) -> [String] {
        let entry = entryPoint.trimmingCharacters(in: .whitespaces)
        if PythonChoice.isShell(scriptBinary) {
            let shell = shell ?? (scriptBinary ?? "bash").trimmingCharacters(in: .whitespaces)
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
