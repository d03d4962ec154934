import ClearMLConfig
import Foundation

/// The script the task container runs (written to `CLEARML_K8S_GLUE_START_AGENT_SCRIPT_PATH`), and the
/// one-line bootstrap that writes and runs it. It carries no credentials: those come from the pod's
/// environment, filled from a Secret, so the pod spec and `ps` never show them.
public enum StartScript {
    public static func render(taskID: String, mode: AgentMode, executeArguments: [String], extraInit: [String], setupShellScript: String?) -> String {
        var lines = ["#!/bin/bash", "# Written by clearml-glue for ClearML task \(taskID)."]
        lines += extraInit
        if let setup = setupShellScript?.trimmingCharacters(in: .whitespacesAndNewlines), !setup.isEmpty {
            lines.append("# The task's container setup script:")
            lines.append(setup)
        }
        let arguments = ShellWords.join(["execute"] + executeArguments + ["--id", taskID])
        switch mode {
        case .injected:
            // Through the variable the pod sets, so a runtime that relocates volumes can point it elsewhere.
            lines.append("exec \"${\(AgentMode.agentDirectoryVariable):-\(AgentMode.agentDirectory)}/bin/clearml-glue\" \(arguments)")
        case .python(let installArguments):
            lines.append(#"PYTHON="$(command -v python3 || command -v python)""#)
            lines.append(#"if [ -z "$CLEARML_AGENT_NO_UPDATE" ]; then "$PYTHON" -m pip install --quiet --disable-pip-version-check "clearml-agent\#(installArguments)" || exit 1; fi"#)
            lines.append("exec \"$PYTHON\" -m clearml_agent \(arguments)")
        case .imageEntrypoint:
            break
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The whole start script travels base64-encoded in one argument of `bash -c`, and Linux refuses to
    /// exec an argument over 128 KiB (`MAX_ARG_STRLEN`, E2BIG): the task's script must leave room for the
    /// rest and the encoding's third.
    public static let maximumSetupScriptBytes = 64 * 1024

    /// The task's setup script, or the error naming it: too large for the pod's command, or holding a
    /// NUL, which bash would stop reading at.
    public static func checkedSetupScript(_ script: String?) throws(RenderError) -> String? {
        guard let script else { return nil }
        let size = script.utf8.count
        if size > maximumSetupScriptBytes {
            throw RenderError("the task's container.setup_shell_script is \(size) bytes; task pods take at most \(maximumSetupScriptBytes) "
                + "(the start script is one argument of bash -c); move the bulk into the image or a file the script downloads")
        }
        if script.unicodeScalars.contains("\0") {
            throw RenderError("the task's container.setup_shell_script contains a NUL character; remove it")
        }
        return script
    }

    /// The container's `bash -c` argument: write the script (replacing any older one, so a restarted
    /// container never runs a doubled script) and exec it.
    public static func bootstrap(script: String, path: String) -> String {
        let target = path.hasPrefix("~/") ? "$HOME/" + shellDoubleQuotedBody(String(path.dropFirst(2))) : shellDoubleQuotedBody(path)
        let encoded = Data(script.utf8).base64EncodedString()
        return "mkdir -p \"$(dirname \"\(target)\")\" && printf '%s' '\(encoded)' | base64 -d > \"\(target)\" && exec /bin/bash \"\(target)\""
    }

    private static func shellDoubleQuotedBody(_ text: String) -> String {
        var out = ""
        for c in text {
            if "\"\\$`".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
