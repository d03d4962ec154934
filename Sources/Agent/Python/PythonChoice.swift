import ClearMLAPI
import Foundation
import JSONValue

/// Which interpreter runs the task, and what it installs: the pure rules.
public enum PythonChoice {
    /// Interpreter names to try, best first: `--python-version`, then the task's `script.binary` when it
    /// names a version (`python3.11`), then `agent.python_binary`, then `python3`.
    public static func candidates(pythonVersion: String?, scriptBinary: String?, configuredBinary: String?) -> [String] {
        var names: [String] = []
        if let version = pythonVersion?.trimmingCharacters(in: .whitespaces), !version.isEmpty {
            names.append(version.hasPrefix("python") || version.contains("/") ? version : "python\(version)")
        }
        if let binary = scriptBinary?.split(separator: "/").last.map(String.init), binary.hasPrefix("python"),
           binary.dropFirst("python".count).contains(".") {
            names.append(binary)
        }
        if let configured = configuredBinary, !configured.isEmpty { names.append(configured) }
        names += ["python3", "python"]
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }

    /// Whether the task runs with a shell instead of Python (`script.binary` bash/sh/zsh).
    public static func isShell(_ scriptBinary: String?) -> Bool {
        let name = scriptBinary?.split(separator: "/").last.map(String.init) ?? ""
        return ["bash", "sh", "zsh"].contains(name)
    }

    /// `script.requirements.pip` as requirements-file text (a string, or a list of lines), nil when empty.
    public static func requirements(_ document: JSONValue?) -> String? {
        guard let pip = document?["pip"] else { return nil }
        let text: String
        if let lines = pip.arrayValue {
            text = lines.compactMap(\.stringValue).joined(separator: "\n")
        } else {
            text = pip.stringValue ?? ""
        }
        let meaningful = text.split(whereSeparator: \.isNewline).contains {
            let line = $0.trimmingCharacters(in: .whitespaces)
            return !line.isEmpty && !line.hasPrefix("#")
        }
        return meaningful ? (text.hasSuffix("\n") ? text : text + "\n") : nil
    }

    /// The requirements written back after installation, as upstream `freeze_task_environment`
    /// (clearml_agent/commands/worker.py): `pip` becomes the frozen packages as a list of lines, and the original
    /// `pip` is kept once as `org_pip`. Nil when the freeze lists no package: then nothing is written.
    public static func frozenRequirements(current: JSONValue?, freeze: [String]) -> JSONValue? {
        guard !freeze.isEmpty else { return nil }
        var requirements = current?.objectValue ?? [:]
        if let pip = requirements["pip"], requirements["org_pip"] == nil, isPresent(pip) {
            requirements["org_pip"] = pip
        }
        requirements["pip"] = .array(freeze.map { .string($0) })
        return .object(requirements)
    }

    /// `pip freeze` output as upstream keeps it (pip_api/system.py `freeze`): one entry per line, without the
    /// agent's own package; blank lines dropped.
    public static func freezeLines(_ freeze: String) -> [String] {
        freeze.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.contains("clearml-agent") }
    }

    /// Python truthiness of a requirements entry, as upstream tests `requirements.get('pip')`.
    private static func isPresent(_ value: JSONValue) -> Bool {
        if let text = value.stringValue { return !text.isEmpty }
        if let list = value.arrayValue { return !list.isEmpty }
        return value.objectValue.map { !$0.isEmpty } ?? false
    }
}
