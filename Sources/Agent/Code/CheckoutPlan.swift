import ClearMLAPI
import Foundation
import Hashing

/// The pure part of getting a task's code: which revision to check out, where the script runs, and
/// what to call the single script of a task that has no repository.
public struct CheckoutPlan: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// Clone `repository` and check out `revision`.
        case git(repository: String, revision: Revision)
        /// No repository: the script's text is in `script.diff`.
        case standaloneScript(text: String)
        /// `CLEARML_AGENT_FORCE_CODE_DIR`: the code is already there.
        case existingDirectory(String)
    }

    public enum Revision: Sendable, Equatable {
        case commit(String)
        case tag(String)
        case branch(String)
        case defaultBranch
    }

    public var source: Source
    /// Uncommitted changes to apply after the checkout (git tasks only).
    public var diff: String?
    /// Relative to the code root.
    public var workingDirectory: String
    public var entryPoint: String

    /// - Throws: `AgentError.invalidInput` for a task with nothing to run.
    public init(script: ClearMLTask.Script, taskID: String, forceCodeDir: String?, forceExecScript: String?) throws(AgentError) {
        func clean(_ text: String?) -> String? {
            guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
            return text
        }
        let repository = clean(script.repository)
        let diff = script.diff.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        workingDirectory = clean(script.workingDir) ?? "."
        if let forced = clean(forceExecScript) {
            entryPoint = forced
        } else if let entry = clean(script.entryPoint) {
            entryPoint = entry
        } else {
            throw .invalidInput("task \(taskID) has no script.entry_point: set the script to run in the task's execution tab (or CLEARML_AGENT_FORCE_EXEC_SCRIPT)")
        }
        if let forced = clean(forceCodeDir) {
            source = .existingDirectory(forced)
            self.diff = nil
        } else if let repository {
            let revision: Revision
            if let commit = clean(script.versionNum) {
                revision = .commit(commit)
            } else if let tag = clean(script.tag) {
                revision = .tag(tag)
            } else if var branch = clean(script.branch) {
                if branch.hasPrefix("origin/") { branch.removeFirst("origin/".count) }
                revision = .branch(branch)
            } else {
                revision = .defaultBranch
            }
            source = .git(repository: repository, revision: revision)
            self.diff = diff
        } else if let diff {
            source = .standaloneScript(text: diff.hasSuffix("\n") ? diff : diff + "\n")
            self.diff = nil
            if workingDirectory.hasPrefix("/") || workingDirectory.contains("..") { workingDirectory = "." }
        } else {
            throw .invalidInput("task \(taskID) has neither a repository (script.repository) nor a script (script.diff): nothing to run")
        }
    }

    /// The folder of the vcs cache entry for a repository (credentials never part of the name).
    public static func cacheName(for displayURL: String) -> String {
        let digest = Digest.sha256Hex(displayURL).prefix(16)
        let base = displayURL.split(separator: "/").last.map(String.init) ?? "repo"
        let safe = base.replacingOccurrences(of: ".git", with: "").filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
        return "\(safe.isEmpty ? "repo" : safe)-\(digest).git"
    }
}
