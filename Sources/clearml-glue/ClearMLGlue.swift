import Agent
import ArgumentParser
import Foundation

struct ClearMLGlue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clearml-glue",
        abstract: "Kubernetes glue for ClearML: turns queued ClearML tasks into pods, and runs them inside the pod.",
        discussion: "The embedded ClearML server and Kubernetes cluster for local trials (dev, server, cluster) are in clearml-glue-dev.",
        subcommands: [
            ConfigCommand.self,
            InitCommand.self,
            GlueCommand.self,
            DaemonCommand.self,
            RenderCommand.self,
            ExecuteCommand.self,
            BuildCommand.self,
            ListCommand.self,
        ]
    )
}

@main
enum Entry {
    static func main() async {
        let arguments = UpstreamArguments.normalize(Array(CommandLine.arguments.dropFirst()))
        do {
            var command = try ClearMLGlue.parseAsRoot(arguments)
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            // The pod's exit code is the agent's contract with the glue: a bad flag or variable given to
            // `execute` is "invalid input" (6), which ArgumentParser would report as its own 64.
            if arguments.first == "execute", ClearMLGlue.exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((ClearMLGlue.fullMessage(for: error) + "\n").utf8))
                exit(AgentExitCode.invalidInput)
            }
            ClearMLGlue.exit(withError: error)
        }
    }
}
