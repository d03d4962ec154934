import ClearMLAPI
import Foundation
import JSONValue
import Logging

/// `execute` and `build`: claim -> started -> code -> Python -> run -> report, with the console pump,
/// the monitor and the task's process running side by side in one task group.
public struct AgentRunner: Sendable {
    public let context: AgentContext
    public let request: ExecuteRequest

    public init(context: AgentContext, request: ExecuteRequest) {
        self.context = context
        self.request = request
    }

    /// Runs to the end and returns the agent's exit code (see `AgentExitCode`). `signals` delivers
    /// SIGTERM/SIGINT to the agent.
    public func run(signals: AsyncStream<Int32>) async -> Int32 {
        let logger = context.logger
        let session = context.session
        var taskID = request.taskID
        let task: ClearMLTask
        do {
            if request.clone && !request.buildOnly {
                taskID = try await cloneTask(taskID)
            }
            if request.buildOnly {
                do { task = try await session.task(id: taskID) } catch { throw AgentError.from(error, doing: "reading task \(taskID)") }
            } else {
                var claim = TaskClaim(session: session, worker: context.worker, hostname: context.hostname, pod: context.podName)
                claim.tags = context.settings.agent.workerTags
                task = try await claim.claim(taskID: taskID, requireQueue: request.requireQueue && !request.clone)
                try await claim.markStarted(taskID: taskID)
            }
        } catch let error as AgentError {
            logger.error("\(error)", metadata: ["task": "\(taskID)"])
            TerminationLog.write(error.description, environment: context.environment)
            return error.exitCode
        } catch {
            logger.error("\(error)", metadata: ["task": "\(taskID)"])
            TerminationLog.write("\(error)", environment: context.environment)
            return AgentExitCode.internalError
        }

        let agent = context.settings.agent
        let masker = SecretMasker(environment: context.environment, hideVariables: agent.hiddenEnvironmentKeys,
                                  extra: [agent.gitPass, request.gitPass, context.settings.api.secretKey, context.settings.api.authToken])
        let ships = !request.disableMonitoring && !request.standalone && !request.buildOnly
        let sender: TaskConsole.Sender = { @Sendable events in _ = try await session.addLogEvents(events) }
        let console: TaskConsole
        do {
            console = try TaskConsole(task: taskID, worker: context.worker, masker: masker, sender: ships ? sender : nil, echo: request.echoConsole,
                                      logFile: request.logFile)
        } catch {
            logger.error("\(error)")
            return (error as? AgentError)?.exitCode ?? AgentExitCode.invalidInput
        }
        let control = RunControl(grace: request.killGrace)
        var environment = context.environment
        environment["GIT_TERMINAL_PROMPT"] = "0"
        if let scratch = agent.tempStdoutFileDir { environment["TMPDIR"] = context.expand(scratch) }
        let runner = StepRunner(console: console, control: control, environment: environment)
        let pipeline = TaskPipeline(context: context, request: request, task: task, runner: runner)
        let stopper = Stopper(context: context, taskID: taskID, control: control, console: console, runner: runner)

        // Upstream's header first, so a parser of upstream consoles finds it where it expects; then our own line.
        await console.write(ConsoleHeader.configuration(settings: context.settings, configFile: context.configFile, worker: context.worker)
            + ConsoleHeader.execution(taskID: taskID, script: task.script, container: task.container)
            + [ConsoleHeader.marked("agent \(request.buildOnly ? "preparing" : "executing") task \(taskID) as worker \(context.worker)")])
        let outcome: RunOutcome = await withTaskGroup(of: RunOutcome?.self) { group in
            group.addTask { await console.run(); return nil }
            group.addTask {
                for await signal in signals {
                    await stopper.stop(.terminated(signal: signal))
                }
                return nil
            }
            if !request.buildOnly && !request.standalone {
                var monitor = TaskMonitor(session: session, taskID: taskID, worker: context.worker,
                                          full: !request.disableMonitoring, includeGPU: !(request.cpuOnly || agent.cpuOnly), logger: logger)
                monitor.abortInterval = request.abortPollInterval
                monitor.tags = context.settings.agent.workerTags
                group.addTask {
                    await monitor.run(runner: runner) { reason in await stopper.stop(reason) }
                    return nil
                }
            }
            group.addTask {
                do {
                    return try await pipeline.run()
                } catch let stop as StopRequested {
                    return .setupFailed("stopped before the task started: \(stop.reason)")
                } catch let error as AgentError {
                    return .setupFailed(error.description)
                } catch {
                    return .setupFailed("\(error)")
                }
            }
            var result: RunOutcome = .exited(-1)
            while let next = await group.next() {
                if let next {
                    result = next
                    break
                }
            }
            group.cancelAll()
            return result
        }
        return await finish(outcome, taskID: taskID, console: console, stop: await control.stopReason)
    }

    private func finish(_ outcome: RunOutcome, taskID: String, console: TaskConsole, stop: StopReason?) async -> Int32 {
        let report = outcome.report(stop: stop)
        await console.write(report.consoleLine, level: report.change == .failed || stop != nil ? "ERROR" : "DEBUG")
        let session = context.session
        if let change = report.change, !request.buildOnly {
            do {
                _ = try await session.changeStatus(change, task: taskID, force: false, statusReason: report.statusReason,
                                                   statusMessage: "Changed by clearml-glue agent \(context.worker)")
            } catch {
                // A task no longer in progress cannot take the change without force; the run's result still stands.
                do {
                    _ = try await session.changeStatus(change, task: taskID, force: true, statusReason: report.statusReason,
                                                       statusMessage: "Changed by clearml-glue agent \(context.worker)")
                } catch {
                    context.logger.error("could not report the task's result", metadata: ["task": "\(taskID)", "error": "\(error)"])
                }
            }
        }
        if !(await console.flush(timeout: .seconds(60))) {
            let lines = await console.pendingLineCount
            context.logger.error("some console lines could not be sent to the server", metadata: ["lines": "\(lines)"])
        }
        if !request.buildOnly {
            try? await session.reportWorkerStatus(context.worker)
            try? await session.unregisterWorker(context.worker)
        }
        if case .built = outcome { return AgentExitCode.success }
        if case .setupFailed = outcome, request.buildOnly { return AgentExitCode.taskFailed }
        if request.propagateExitCode { return report.taskExitCode }
        return request.reflectTaskResult ? report.reflectedExitCode : AgentExitCode.success
    }

    /// `--clone`: a copy of the task, run instead of it.
    private func cloneTask(_ id: String) async throws -> String {
        do {
            let data = try await context.session.call("tasks.clone", ["task": .string(id)], idempotent: false)
            guard let clone = data["id"]?.stringValue, !clone.isEmpty else {
                throw AgentError.server("tasks.clone of \(id) returned no id")
            }
            return clone
        } catch let error as ClearMLAPIError {
            throw AgentError.from(error, doing: "cloning task \(id) (--clone)")
        }
    }
}
