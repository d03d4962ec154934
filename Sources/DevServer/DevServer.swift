import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The embedded ClearML-compatible API server: Hummingbird over HTTP, SQLite (GRDB) underneath.
///
/// ```swift
/// let server = try await DevServer.start(DevServerConfiguration())
/// // clients talk to server.baseURL with server.accessKey / server.secretKey
/// await server.stop()
/// ```
public final class DevServer: Sendable {
    public let port: Int
    public let host: String
    public let accessKey: String
    public let secretKey: String
    /// True when this start created the credentials (first start of a data directory without given keys).
    public let generatedCredentials: Bool
    public let dataDirectory: String
    public var baseURL: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    private let state: ServerState
    private let runTask: Task<Void, any Error>
    private let serviceGroup: ServiceGroup
    private let watchdog: Task<Void, Never>
    private let temporaryDirectory: Bool

    private init(
        port: Int, host: String, state: ServerState, dataDirectory: String, temporaryDirectory: Bool,
        serviceGroup: ServiceGroup, runTask: Task<Void, any Error>, watchdog: Task<Void, Never>
    ) {
        self.serviceGroup = serviceGroup
        self.state = state
        self.port = port
        self.host = host
        self.accessKey = state.accessKey
        self.secretKey = state.secretKey
        self.generatedCredentials = state.generatedCredentials
        self.dataDirectory = dataDirectory
        self.temporaryDirectory = temporaryDirectory
        self.runTask = runTask
        self.watchdog = watchdog
    }

    /// Opens (or creates) the data directory, binds the port and returns once the server accepts connections.
    public static func start(_ configuration: DevServerConfiguration, logger: Logger = Logger(label: "clearml-glue.server"))
        async throws -> DevServer
    {
        guard (0...65535).contains(configuration.port) else {
            throw DevServerError.invalidConfiguration("port \(configuration.port) is out of range")
        }
        if (configuration.accessKey == nil) != (configuration.secretKey == nil) {
            throw DevServerError.invalidConfiguration("give both an access key and a secret key, or neither")
        }
        let temporary = configuration.dataDirectory == nil
        let directory = configuration.dataDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("clearml-devserver-\(Identifiers.make())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try Store(path: (directory as NSString).appendingPathComponent("clearml.sqlite"))
        let state = try ServerState(store: store, configuration: configuration, logger: logger)
        let dispatcher = Dispatcher(state: state, endpoints: EndpointRegistry.all(state))

        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        let responder = CallbackResponder<BasicRequestContext> { request, _ in await dispatcher.respond(to: request) }
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "clearml"),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? -1)
                portContinuation.finish()
            },
            logger: logger)
        // Our own group (no signal handling) so `stop()` can ask for a graceful shutdown.
        let serviceGroup = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [], logger: logger))
        let runTask = Task {
            defer { portContinuation.finish() }
            try await serviceGroup.run()
        }
        var iterator = portStream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            runTask.cancel()
            let reason: String
            do {
                try await runTask.value
                reason = "it stopped before listening"
            } catch {
                reason = "\(error)"
            }
            throw DevServerError.startFailed("cannot listen on \(configuration.host):\(configuration.port): \(reason)")
        }
        let watchdog = Task { await Watchdog(state: state).run() }
        logger.info("ClearML dev server listening", metadata: ["url": "http://\(configuration.host):\(port)", "data": "\(directory)"])
        return DevServer(
            port: port, host: configuration.host, state: state, dataDirectory: directory, temporaryDirectory: temporary,
            serviceGroup: serviceGroup, runTask: runTask, watchdog: watchdog)
    }

    /// Calls received so far from the client sending `X-ClearML-Worker: worker` (nil: clients sending none),
    /// by endpoint, whatever their outcome.
    public func callCounts(worker: String?) -> [String: Int] {
        state.ledger.counts(worker: worker)
    }

    /// Stops accepting connections, finishes in-flight requests and closes the database.
    public func stop() async {
        watchdog.cancel()
        await serviceGroup.triggerGracefulShutdown()
        _ = try? await runTask.value
        await watchdog.value
        if temporaryDirectory { try? FileManager.default.removeItem(atPath: dataDirectory) }
    }

    /// Runs until the surrounding task is cancelled (the CLI's `server` command).
    public func waitUntilStopped() async {
        _ = try? await runTask.value
    }
}
