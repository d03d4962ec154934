import ClearMLConfig
import JSONValue

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
    /// Where the agent writes why it ended without running the task (Agent `TerminationLog.pathVariable`):
    /// the container's `terminationMessagePath`, so a template that moves it is followed.
    static let terminationLogVariable = "CLEARML_GLUE_TERMINATION_LOG"
    /// The image's user (Dockerfile `USER 10001:10001`), stated so `runAsNonRoot` holds without the
    /// kubelet having to read the image config.
    static let installerUser: Int64 = 10001

    /// What Pod Security `restricted` asks of every container (pod-security-admission policy checks
    /// allowPrivilegeEscalation, capabilities, runAsNonRoot and seccompProfile): the copy needs none of
    /// what they forbid.
    static var installerSecurityContext: JSONValue {
        [
            "allowPrivilegeEscalation": false,
            "capabilities": ["drop": ["ALL"]],
            "runAsNonRoot": true,
            "runAsUser": .int(installerUser),
            "runAsGroup": .int(installerUser),
            "readOnlyRootFilesystem": true,
            "seccompProfile": ["type": "RuntimeDefault"],
        ]
    }
}

extension AgentMode {
    /// The init container's copy: a bundle (`<dir>/bin/clearml-glue` with its libraries in `<dir>/lib`, as
    /// `scripts/bundle` and the image lay it out) is copied whole; a lone binary goes to `bin/`.
    /// `cp -R`, not `cp -a`: the kubelet makes the emptyDir root-owned 0777, and a non-root copier may not
    /// set the times or mode of a directory it does not own, so preserving attributes fails the pod.
    /// `-R` keeps symlinks as symlinks and the executable bits; nothing else matters to the agent.
    static func installCommand(from source: String) -> String {
        let suffix = "/bin/clearml-glue"
        let target = agentDirectory
        if source.hasSuffix(suffix), source.count > suffix.count {
            return "cp -R \(ShellWords.join([String(source.dropLast(suffix.count)) + "/."])) \(target)/"
        }
        return "mkdir -p \(target)/bin && cp \(ShellWords.join([source])) \(target)/bin/clearml-glue"
    }
}
