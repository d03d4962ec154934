import ClearMLAPI
import ClearMLConfig
import Foundation
import JSONValue

/// The steps between the claim and the task's process: code, Python, command, run.
struct TaskPipeline: Sendable {
    let context: AgentContext
    let request: ExecuteRequest
    let task: ClearMLTask
    let runner: StepRunner

    var taskID: String { task.id.isEmpty ? request.taskID : task.id }

    func run() async throws -> RunOutcome {
        let agent = context.settings.agent
        let console = runner.console
        let script = task.script
        let plan = try CheckoutPlan(script: script, taskID: taskID, forceCodeDir: agent.forceCodeDir, forceExecScript: agent.forceExecScript)
        let workspace = request.target.map(context.expand) ?? context.expand(agent.venvsDir)
        let codeDirectory = request.target != nil ? (workspace as NSString).appendingPathComponent("code")
            : (workspace as NSString).appendingPathComponent("task_repository/\(taskID)")
        let manifest = request.target.map { BuildManifest.path(in: context.expand($0)) }
        let code: CodeCheckout.Result
        if !request.buildOnly, let manifest, let prepared = BuildManifest.read(manifest), prepared.task == taskID,
           FileManager.default.fileExists(atPath: prepared.code.scriptDirectory) {
            await console.write(ConsoleHeader.marked("Using the code prepared by 'build' in \(prepared.code.root)"))
            code = prepared.code
        } else {
            let git = CodeCheckout.Options(
                credentials: gitCredentials, translateSSH: agent.translateSSH, forceSSH: agent.forceGitSSHProtocol,
                verbose: agent.gitCloneVerbose, cacheDirectory: agent.vcsCache.enabled ? context.expand(agent.vcsCache.path) : nil)
            code = try await CodeCheckout(runner: runner, options: git).checkout(plan, into: codeDirectory)
        }
        if !request.buildOnly, let commit = code.commit, (script.versionNum ?? "").isEmpty {
            await recordCommit(commit)
        }
        let isShell = PythonChoice.isShell(script.binary)
        var requirements = PythonChoice.requirements(script.requirements)
        if requirements == nil, !isShell {
            for folder in [code.scriptDirectory, code.root] {
                let file = (folder as NSString).appendingPathComponent("requirements.txt")
                if let text = try? String(contentsOfFile: file, encoding: .utf8) {
                    await console.write(ConsoleHeader.marked("The task lists no requirements: using \(file)"))
                    requirements = PythonChoice.requirements(["pip": .string(text)])
                    break
                }
            }
        }
        let environment: PythonEnvironment
        if isShell {
            // A shell task needs no Python: the image may have none (busybox).
            await console.write(ConsoleHeader.marked("Shell task (script.binary \(script.binary ?? "")): no Python environment to prepare"))
            environment = PythonEnvironment(python: "", venv: nil, freeze: nil, reused: true)
        } else {
            environment = try await PythonSetup(runner: runner, options: pythonOptions(workspace: workspace, isShell: isShell))
                .prepare(requirements: requirements)
        }
        // As upstream (worker.py, `skip_freeze`): nothing is frozen back when the task listed no requirements and
        // has no repository to bring any; a reused environment writes back the freeze it was prepared with.
        let taskListsNothing = PythonChoice.requirements(script.requirements) == nil && (script.repository ?? "").isEmpty
        let freezeLines = taskListsNothing ? nil : environment.freeze.map(PythonChoice.freezeLines)
        if let freezeLines, !request.standalone, !request.buildOnly {
            await writeRequirements(freezeLines)
        }
        if request.buildOnly {
            if let manifest {
                try BuildManifest(task: taskID, code: code, python: environment.python, venv: environment.venv).write(manifest)
            }
            await console.write(ConsoleHeader.marked("Environment ready: code in \(code.root), Python \(environment.python)"))
            return .built
        }
        if agent.forceTaskInit == true, !isShell {
            try TaskInitPatch.apply(to: (code.scriptDirectory as NSString).appendingPathComponent(code.entryPoint))
        }
        var command = try EntryCommand.make(python: environment.python, scriptBinary: script.binary, entryPoint: code.entryPoint,
                                            optimization: request.optimization)
        if let user = agent.execUser { command = ExecUser.wrap(command, user: user, path: runner.environment["PATH"]) }
        let variables = taskEnvironment.apply(to: runner.environment, venv: environment.venv, scriptDirectory: code.scriptDirectory)
        await console.write(ConsoleHeader.running(taskID: taskID, workingDir: script.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? ".",
                                                  command: command, freeze: freezeLines))
        _ = try? await context.session.changeStatus(.started, task: taskID, force: true, statusReason: "worker starting task execution",
                                                    statusMessage: "Changed by clearml-glue agent \(context.worker)")
        return .exited(try await runner.run(command, in: code.scriptDirectory, environment: variables))
    }

    var gitCredentials: GitRemote.Credentials? {
        let agent = context.settings.agent
        guard let user = request.gitUser ?? agent.gitUser, let password = request.gitPass ?? agent.gitPass else { return nil }
        return GitRemote.Credentials(user: user, password: password, host: agent.gitHost)
    }

    var taskEnvironment: TaskEnvironment {
        let api = context.settings.api
        return TaskEnvironment(
            taskID: taskID, worker: context.worker, apiServer: api.apiServer, webServer: api.webServer, filesServer: api.filesServer,
            accessKey: api.accessKey, secretKey: api.secretKey, authToken: api.authToken, configFile: context.configFile,
            logLevel: context.logLevel, gpus: request.gpus, cpuOnly: request.cpuOnly || context.settings.agent.cpuOnly,
            extraPythonPath: context.settings.agent.extraPythonPath)
    }

    func pythonOptions(workspace: String, isShell: Bool) -> PythonSetup.Options {
        let agent = context.settings.agent
        var candidates = PythonChoice.candidates(pythonVersion: request.pythonVersion, scriptBinary: task.script.binary,
                                                 configuredBinary: agent.pythonBinary)
        let mode: PythonSetup.Mode
        if let skipVenv = agent.skipPipVenvInstall, BooleanText.parse(skipVenv) != false {
            // A boolean word means "the default interpreter"; anything else names the interpreter.
            if BooleanText.parse(skipVenv) == nil { candidates.insert(skipVenv, at: 0) }
            mode = .existing
        } else if agent.skipPythonEnvInstall || request.standalone || isShell {
            mode = .existing
        } else if request.installGlobally {
            mode = .global
        } else if let target = request.target {
            mode = .target(folder: (context.expand(target) as NSString).appendingPathComponent("venv"))
        } else if agent.venvsCache.enabled {
            mode = .cached(folder: context.expand(agent.venvsCache.path))
        } else {
            mode = .fresh(folder: (workspace as NSString).appendingPathComponent("venv-\(taskID)"))
        }
        let manager = agent.packageManager
        return PythonSetup.Options(candidates: candidates, mode: mode,
                                   systemSitePackages: manager.systemSitePackages || manager.forceSystemSitePackages,
                                   extraIndexURLs: manager.extraIndexURLs, extraPipFlags: manager.extraPipInstallFlags,
                                   useUV: manager.type == "uv")
    }

    /// `script.version_num` when the task did not name a commit, as upstream `_update_commit_id`.
    private func recordCommit(_ commit: String) async {
        guard var script = try? await context.session.taskFields(id: taskID, ["script"])?.document["script"], script.objectValue != nil else { return }
        script["version_num"] = .string(commit)
        _ = try? await context.session.editTask(id: taskID, ["script": script], force: true)
    }

    /// The frozen environment written back to the task (`tasks.set_requirements`), the original kept as `org_pip`;
    /// nothing when the freeze lists no package.
    private func writeRequirements(_ freeze: [String]) async {
        let current = try? await context.session.taskFields(id: taskID, ["script.requirements"])?.document.value(at: "script.requirements")
        guard let requirements = PythonChoice.frozenRequirements(current: current, freeze: freeze) else { return }
        do {
            _ = try await context.session.call("tasks.set_requirements", ["task": .string(taskID), "requirements": requirements])
        } catch {
            await runner.console.write("Could not write the installed packages back to the task: \(error)", level: "WARNING")
        }
    }
}

