import ArgumentParser
import GlueCLI

/// `clearml-glue daemon --k8s ...`: upstream's `clearml-agent daemon` shape, for deployments that call
/// the glue that way. Only the Kubernetes mode exists here.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon", abstract: "Upstream-compatible entry: 'daemon --k8s' runs the glue controller (see 'glue --help').")

    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("k8s"), help: "Run as the Kubernetes glue (required).")
    var k8s = false
    @Flag(name: .customLong("foreground"), help: "Accepted for compatibility; the glue always runs in the foreground.")
    var foreground = false
    @Flag(name: .customLong("status"), help: "Print this glue's worker status from the ClearML server and exit.")
    var status = false
    @Flag(name: .customLong("stop"), help: .hidden)
    var stop = false
    @OptionGroup var options: GlueOptions

    func validate() throws {
        if stop { throw ValidationError("--stop: a Kubernetes glue is stopped by its Deployment (kubectl scale --replicas=0) or SIGTERM") }
        if !k8s && !status { throw ValidationError("only the Kubernetes mode exists: pass --k8s (local docker/venv daemons are upstream clearml-agent's)") }
    }

    func run() async throws {
        if status {
            try global.bootstrapLogging()
            let settings = try global.loadSettings()
            let worker = settings.agent.workerId ?? "clearml-glue"
            let workers = try await global.makeSession().workers(lastSeen: 0)
            let mine = workers.filter { $0.document["id"]?.stringValue == worker }
            print(mine.isEmpty ? "worker \(worker): not registered (not running)" : "worker \(worker): running, \(mine[0].document.encodedString())")
            return
        }
        try await GlueRunner(global: global, options: options).run()
    }
}
