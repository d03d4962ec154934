import ArgumentParser
import DevServer
import Foundation
import GlueCLI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `clearml-glue-dev server`: the embedded ClearML-compatible API server, persisted in SQLite under --data-dir.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run the embedded ClearML-compatible API server (SQLite, loopback by default).",
        discussion: """
        Prints 'listening on http://HOST:PORT' once it accepts connections (with --port 0 the port is picked \
        freely), and the credentials: the secret key only when it was just generated (first start of a data \
        directory without --access-key/--secret-key or CLEARML_API_ACCESS_KEY/CLEARML_API_SECRET_KEY). \
        Stops gracefully on SIGINT/SIGTERM.
        """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("host"), help: "Address to bind.")
    var host: String = "127.0.0.1"

    @Option(name: .customLong("port"), help: "Port to listen on; 0 picks a free port.")
    var port: Int = 8008

    @Option(name: .customLong("data-dir"), help: "Directory of the SQLite database (default: ~/.clearml-glue/server).")
    var dataDirectory: String?

    @Option(name: .customLong("access-key"), help: "API access key to accept (default: $CLEARML_API_ACCESS_KEY, else generated).")
    var accessKey: String?

    @Option(name: .customLong("secret-key"), help: "API secret key to accept (default: $CLEARML_API_SECRET_KEY, else generated).")
    var secretKey: String?

    @Option(name: .customLong("max-body-bytes"), help: "Largest accepted request body; larger ones get 413.")
    var maxBodyBytes: Int = 64 * 1024 * 1024

    @Option(name: .customLong("non-responsive-timeout"), help: "Seconds before an in_progress task nobody updates is stopped (default 7200).")
    var nonResponsiveTimeout: Double = 7200

    @Option(name: .customLong("record-requests"), help: ArgumentHelp(
        "Test aid: write every request (path, headers, body, status; credentials masked) as one JSON line to FILE, replacing it.", valueName: "file"))
    var recordRequests: String?

    func run() async throws {
        try global.bootstrapLogging()
        let environment = ProcessInfo.processInfo.environment
        var configuration = DevServerConfiguration(
            host: host, port: port,
            dataDirectory: dataDirectory ?? Self.defaultDataDirectory(environment),
            accessKey: accessKey ?? environment["CLEARML_API_ACCESS_KEY"].flatMap { $0.isEmpty ? nil : $0 },
            secretKey: secretKey ?? environment["CLEARML_API_SECRET_KEY"].flatMap { $0.isEmpty ? nil : $0 })
        guard maxBodyBytes > 0 else { throw ValidationError("--max-body-bytes must be positive") }
        guard nonResponsiveTimeout > 0 else { throw ValidationError("--non-responsive-timeout must be positive") }
        configuration.maxBodyBytes = maxBodyBytes
        configuration.nonResponsiveTaskTimeout = nonResponsiveTimeout
        configuration.recordRequestsPath = recordRequests
        configuration.watchdogInterval = min(300, max(1, nonResponsiveTimeout / 4))

        let server = try await DevServer.start(configuration)
        print("listening on \(server.baseURL)")
        print("data directory \(server.dataDirectory)")
        if server.generatedCredentials {
            print("credentials access_key=\(server.accessKey) secret_key=\(server.secretKey)")
            print("(generated now and shown only once; they are kept in the data directory)")
        } else {
            print("credentials access_key=\(server.accessKey)")
        }
        fflush(nil)  // all streams: `stdout` itself is not concurrency-safe to name in Swift 6

        await Self.waitForTerminationSignal()
        await server.stop()
    }

    private static func defaultDataDirectory(_ environment: [String: String]) -> String {
        let home = environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        return (home as NSString).appendingPathComponent(".clearml-glue/server")
    }

    private static func waitForTerminationSignal() async {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        for await _ in stream { break }
        sources.forEach { $0.cancel() }
    }
}
