import ArgumentParser
import Foundation

struct ClearMLGlue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clearml-glue",
        abstract: "Kubernetes glue for ClearML: turns queued ClearML tasks into pods, and runs them inside the pod.",
        subcommands: [
            ConfigCommand.self,
            InitCommand.self,
            GlueCommand.self,
            DaemonCommand.self,
            RenderCommand.self,
            ExecuteCommand.self,
            BuildCommand.self,
            ListCommand.self,
            ServerCommand.self,
            ClusterCommand.self,
            DevCommand.self,
        ]
    )
}

@main
enum Entry {
    static func main() async {
        let arguments = UpstreamArguments.normalize(Array(CommandLine.arguments.dropFirst()))
        await ClearMLGlue.main(arguments)
    }
}
