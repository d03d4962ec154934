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
        await ClearMLGlue.main(arguments)
    }
}
