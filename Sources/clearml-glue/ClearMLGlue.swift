import ArgumentParser

@main
struct ClearMLGlue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clearml-glue",
        abstract: "Kubernetes glue for ClearML: turns queued ClearML tasks into pods, and runs them inside the pod.",
        subcommands: [
            ConfigCommand.self,
            InitCommand.self,
            NotYetAvailable.Glue.self,
            NotYetAvailable.Execute.self,
            NotYetAvailable.Build.self,
            ListCommand.self,
            ServerCommand.self,
            ClusterCommand.self,
            NotYetAvailable.Dev.self,
        ]
    )
}
