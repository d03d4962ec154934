import Foundation

/// Gets a task's code onto disk as `CheckoutPlan` says: a real `git` clone (through the vcs cache when
/// enabled), the revision checked out, submodules, the uncommitted changes applied.
public struct CodeCheckout: Sendable {
    public struct Options: Sendable {
        public var credentials: GitRemote.Credentials?
        public var translateSSH: Bool
        public var forceSSH: Bool
        public var verbose: Bool
        /// The vcs cache folder, nil when disabled.
        public var cacheDirectory: String?
        public init(credentials: GitRemote.Credentials?, translateSSH: Bool = true, forceSSH: Bool = false,
                    verbose: Bool = false, cacheDirectory: String? = nil) {
            self.credentials = credentials
            self.translateSSH = translateSSH
            self.forceSSH = forceSSH
            self.verbose = verbose
            self.cacheDirectory = cacheDirectory
        }
    }

    /// Where the code ended up.
    public struct Result: Sendable, Equatable, Codable {
        public var root: String
        public var scriptDirectory: String
        public var entryPoint: String
        /// The commit checked out (git tasks).
        public var commit: String?
    }

    public let runner: StepRunner
    public let options: Options

    public init(runner: StepRunner, options: Options) {
        self.runner = runner
        self.options = options
    }

    /// Checks out into `directory` (emptied first), or uses the forced code folder as is.
    public func checkout(_ plan: CheckoutPlan, into directory: String) async throws -> Result {
        let files = FileManager.default
        var commit: String?
        let root: String
        switch plan.source {
        case .existingDirectory(let folder):
            guard files.fileExists(atPath: folder) else {
                throw AgentError.invalidInput("CLEARML_AGENT_FORCE_CODE_DIR names '\(folder)', which does not exist")
            }
            await runner.console.write(ConsoleHeader.marked("Using the code in \(folder) (CLEARML_AGENT_FORCE_CODE_DIR)"))
            root = folder
        case .standaloneScript(let text):
            try? files.removeItem(atPath: directory)
            let folder = plan.workingDirectory == "." ? directory : (directory as NSString).appendingPathComponent(plan.workingDirectory)
            let name = (plan.entryPoint as NSString).lastPathComponent
            try files.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: (folder as NSString).appendingPathComponent(name)))
            await runner.console.write(ConsoleHeader.marked("No repository: running the task's script (\(name), from script.diff)"))
            root = directory
            return Result(root: root, scriptDirectory: folder, entryPoint: name, commit: nil)
        case .git(let repository, let revision):
            try? files.removeItem(atPath: directory)
            try files.createDirectory(atPath: (directory as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            commit = try await clone(repository, revision: revision, into: directory, diff: plan.diff)
            root = directory
        }
        let folder = plan.workingDirectory == "." ? root : (root as NSString).appendingPathComponent(plan.workingDirectory)
        guard files.fileExists(atPath: folder) else {
            throw AgentError.setupFailed("the working directory '\(plan.workingDirectory)' (script.working_dir) does not exist in the code")
        }
        return Result(root: root, scriptDirectory: folder, entryPoint: plan.entryPoint, commit: commit)
    }

    private func clone(_ repository: String, revision: CheckoutPlan.Revision, into directory: String, diff: String?) async throws -> String? {
        let remote = GitRemote(repository: repository, credentials: options.credentials,
                               translateSSH: options.translateSSH, forceSSH: options.forceSSH)
        let quiet = options.verbose ? ["--progress"] : ["--quiet"]
        let console = runner.console
        var source = remote.cloneURL
        var lock: FileLock?
        defer { lock?.release() }
        if let cache = options.cacheDirectory {
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
            let mirror = (cache as NSString).appendingPathComponent(CheckoutPlan.cacheName(for: remote.display))
            lock = try await FileLock.acquire(mirror + ".lock")
            if FileManager.default.fileExists(atPath: (mirror as NSString).appendingPathComponent("HEAD")) {
                await console.write(ConsoleHeader.marked("Updating the cached repository \(remote.display)"))
                try await runner.require("git fetch of \(remote.display)", ["git", "-C", mirror, "fetch", "--prune", "--force", "--tags"] + quiet
                    + [remote.cloneURL, "+refs/heads/*:refs/heads/*"])
            } else {
                await console.write(ConsoleHeader.marked("Cloning \(remote.display) into the vcs cache"))
                try await runner.require("git clone of \(remote.display)", ["git", "clone", "--mirror"] + quiet + [remote.cloneURL, mirror])
                _ = try await runner.run(["git", "-C", mirror, "remote", "set-url", "origin", remote.display])
            }
            source = mirror
        } else {
            await console.write(ConsoleHeader.marked("Cloning \(remote.display)"))
        }
        try await runner.require("git clone of \(remote.display)", ["git", "clone", "--no-checkout"] + quiet + [source, directory])
        lock?.release()
        lock = nil
        // Never leave credentials in .git/config; the SDK reads the remote from there.
        _ = try await runner.run(["git", "remote", "set-url", "origin", remote.display], in: directory)
        let checkout: [String]
        switch revision {
        case .commit(let commit): checkout = ["git", "checkout", "--force", "--quiet", commit]
        case .tag(let tag): checkout = ["git", "checkout", "--force", "--quiet", "refs/tags/\(tag)"]
        case .branch(let branch): checkout = ["git", "checkout", "--force", "--quiet", "-B", branch, "origin/\(branch)"]
        case .defaultBranch: checkout = ["git", "checkout", "--force", "--quiet"]
        }
        try await runner.require("git checkout of \(revision)", checkout, in: directory)
        if FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(".gitmodules")) {
            try await runner.require("git submodule update", ["git", "submodule", "update", "--init", "--recursive"] + quiet, in: directory)
        }
        if let diff {
            let patch = (directory as NSString).appendingPathComponent(".git/clearml-task.diff")
            try Data((diff.hasSuffix("\n") ? diff : diff + "\n").utf8).write(to: URL(fileURLWithPath: patch))
            await console.write(ConsoleHeader.marked("Applying the task's uncommitted changes (script.diff)"))
            let code = try await runner.run(["git", "apply", "--whitespace=nowarn", patch], in: directory)
            guard code == 0 else {
                throw AgentError.setupFailed("applying the task's uncommitted changes (script.diff) failed (git apply exit code \(code)): the diff does not match the checked-out revision")
            }
        }
        let head = try await runner.capture(["git", "rev-parse", "HEAD"], in: directory)
        let commit = head.output.trimmingCharacters(in: .whitespacesAndNewlines)
        await console.write(ConsoleHeader.marked("Checked out \(remote.display) at \(commit)"))
        return head.code == 0 ? commit : nil
    }
}
