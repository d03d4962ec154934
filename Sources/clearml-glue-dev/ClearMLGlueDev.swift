import ArgumentParser

/// The embedded stack for trials and tests, kept out of `clearml-glue` so that what runs in a cluster (the
/// controller and the in-pod agent) carries no SQLite server, no TLS server and no second crypto library.
struct ClearMLGlueDev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clearml-glue-dev",
        abstract: "The embedded ClearML server and Kubernetes cluster for local trials and tests, and the glue wired to both.",
        subcommands: [
            DevCommand.self,
            ServerCommand.self,
            ClusterCommand.self,
        ]
    )
}

@main
enum Entry {
    static func main() async {
        await ClearMLGlueDev.main()
    }
}
