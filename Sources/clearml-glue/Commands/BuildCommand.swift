import Agent
import ArgumentParser
import Foundation
import GlueCLI

/// `clearml-glue build`: prepares a task's code and Python environment without running it.
struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Prepare a task's code and Python environment without running it (reused by a later 'execute --target' or CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL)."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var task: AgentTaskOptions

    @Flag(name: .customLong("install-globally"), help: "Install the requirements into the interpreter itself instead of a virtual environment.")
    var installGlobally = false

    func validate() throws { try task.validate() }

    func run() async throws {
        try global.bootstrapLogging()
        var request = try task.request(buildOnly: true)
        request.installGlobally = installGlobally
        let code = await AgentLauncher.run(global: global, request: request)
        throw ExitCode(code)
    }
}
