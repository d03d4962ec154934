import ClearMLAPI
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

    /// The requirements written back after installation, as upstream does: the original list is kept
    /// once as `org_pip`, `pip` becomes the frozen environment.
    public static func frozenRequirements(current: JSONValue?, freeze: String) -> JSONValue {
        var requirements = current?.objectValue ?? [:]
        if let pip = requirements["pip"], requirements["org_pip"] == nil, !(pip.stringValue ?? "").isEmpty || pip.arrayValue != nil {
            requirements["org_pip"] = pip
        }
        requirements["pip"] = .string(freeze)
        return .object(requirements)
    }
}
