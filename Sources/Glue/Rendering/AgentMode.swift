import ClearMLConfig

/// How the task container gets an agent to run the task.
public enum AgentMode: Sendable, Equatable {
    /// An init container from our image copies `clearml-glue` into a shared emptyDir; the task image
    /// needs nothing installed. The default.
    case injected(image: String)
    /// The start script pip-installs upstream `clearml-agent` (skipped when `CLEARML_AGENT_NO_UPDATE` is
    /// set in the pod), for images the injected binary cannot run on.
    case python(installArguments: String)
    /// The image's own entrypoint runs; the glue only sets the task id and environment.
    case imageEntrypoint

    static let agentDirectory = "/clearml-agent"
    static let agentVolume = "clearml-agent"
    static let agentDirectoryVariable = "CLEARML_GLUE_AGENT_DIR"
}

extension AgentMode {
    /// The init container's copy: a bundle (`<dir>/bin/clearml-glue` with its libraries in `<dir>/lib`, as
    /// `scripts/bundle` and the image lay it out) is copied whole; a lone binary goes to `bin/`.
    static func installCommand(from source: String) -> String {
        let suffix = "/bin/clearml-glue"
        let target = agentDirectory
        if source.hasSuffix(suffix), source.count > suffix.count {
            return "cp -a \(ShellWords.join([String(source.dropLast(suffix.count)) + "/."])) \(target)/"
        }
        return "mkdir -p \(target)/bin && cp \(ShellWords.join([source])) \(target)/bin/clearml-glue"
    }
}
