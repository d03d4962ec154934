import ArgumentParser

/// Subcommands whose implementation lands with a later issue. They exist so `--help` shows the whole
/// surface, and they say plainly that they cannot run yet instead of pretending to.
enum NotYetAvailable {
    struct Failure: Error, CustomStringConvertible {
        let command: String
        var description: String {
            "'clearml-glue \(command)' is not available in this build yet; run 'clearml-glue --help' for the commands that are."
        }
    }

    struct Glue: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "glue", abstract: "Run the Kubernetes glue controller (not yet available).")
        func run() throws { throw Failure(command: "glue") }
    }
    struct Execute: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "execute", abstract: "Execute a task inside its pod (not yet available).")
        func run() throws { throw Failure(command: "execute") }
    }
    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "build", abstract: "Prepare a task's code and environment (not yet available).")
        func run() throws { throw Failure(command: "build") }
    }
    struct Dev: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "dev", abstract: "Run the embedded server, cluster and glue together (not yet available).")
        func run() throws { throw Failure(command: "dev") }
    }
}
