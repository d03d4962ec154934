import Agent
import ClearMLAPI
import ClearMLConfig
import DevServer
import Foundation
import GlueTestSupport
import HTTPClient
import JSONValue
import Logging

/// An embedded server, a session, a scratch home folder, and helpers to make git repos, wheels and tasks,
/// and to run the agent in-process against them.
final class AgentHarness: Sendable {
    let servers: ServerBox
    let baseURL: String
    let accessKey: String
    let secretKey: String
    let session: ClearMLSession
    let root: String
    let queue: String

    private init(server: DevServer, session: ClearMLSession, root: String, queue: String) {
        servers = ServerBox(server)
        baseURL = server.baseURL
        accessKey = server.accessKey
        secretKey = server.secretKey
        self.session = session
        self.root = root
        self.queue = queue
    }

    /// Holds the running server so a test can take it down and bring it back on the same port and data.
    actor ServerBox {
        var server: DevServer?
        init(_ server: DevServer) { self.server = server }

        func stop() async {
            await server?.stop()
            server = nil
        }

        func restart(port: Int, dataDirectory: String) async throws {
            server = try await DevServer.start(DevServerConfiguration(port: port, dataDirectory: dataDirectory))
        }
    }

    static func start(root: String? = nil, configuration: DevServerConfiguration = DevServerConfiguration()) async throws -> AgentHarness {
        try wheelBuilt.get()
        let folder = root ?? FileManager.default.temporaryDirectory.appendingPathComponent("agent-test-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder + "/home", withIntermediateDirectories: true)
        let server = try await DevServer.start(configuration)
        let session = try ClearMLSession(configuration: ClearMLSessionConfiguration(
            apiServer: server.baseURL, credentials: .keys(accessKey: server.accessKey, secretKey: server.secretKey),
            http: HTTPClientConfiguration(proxy: .none), worker: "agent-test"))
        let queue = try await session.createQueue(name: "k8s_scheduler", systemTags: ["k8s-glue"])
        return AgentHarness(server: server, session: session, root: folder, queue: queue)
    }

    func stop() async {
        await servers.stop()
        try? FileManager.default.removeItem(atPath: root)
    }

    var home: String { root + "/home" }

    /// The agent's environment: ours (PATH...), a scratch HOME, the server and its keys, offline pip.
    func environment(_ extra: [String: String] = [:], serverURL: String? = nil) -> [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CLEARML_") && !$0.key.hasPrefix("TRAINS_") }
        env["HOME"] = home
        env["CLEARML_API_HOST"] = serverURL ?? baseURL
        env["CLEARML_API_ACCESS_KEY"] = accessKey
        env["CLEARML_API_SECRET_KEY"] = secretKey
        env["PIP_NO_INDEX"] = "1"
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        env["CLEARML_EXTRA_PIP_INSTALL_FLAGS"] = "--no-index --find-links \(Self.wheelFolder)"
        env.merge(extra) { $1 }
        return env
    }

    /// Runs the agent in-process, as `clearml-glue execute` would.
    func execute(_ task: String, env extra: [String: String] = [:], configure: (inout ExecuteRequest) -> Void = { _ in },
                 signals: AsyncStream<Int32> = AsyncStream { _ in }) async throws -> Int32 {
        let env = environment(extra)
        let config = try ConfigLoader(environment: env, homeDirectory: home).load()
        let settings = try ClearMLSettings(config)
        try settings.validate()
        let worker = "test-agent:\(UUID().uuidString.prefix(6))"
        let agentSession = try ClearMLSession(configuration: ClearMLSessionConfiguration(settings: settings, worker: worker))
        var request = ExecuteRequest(taskID: task)
        request.requireQueue = true
        request.echoConsole = false
        configure(&request)
        let context = AgentContext(settings: settings, session: agentSession, environment: env, hostname: "test-host",
                                   worker: worker, configFile: nil, logLevel: nil, logger: Logger(label: "agent-test"))
        return await AgentRunner(context: context, request: request).run(signals: signals)
    }

    // MARK: - Tasks

    func createTask(_ script: JSONValue, name: String = "agent test") async throws -> String {
        try await session.createTask(["name": .string(name), "type": "training", "script": script])
    }

    func enqueue(_ task: String) async throws {
        _ = try await session.enqueue(task: task, queue: queue, statusReason: "k8s pending scheduler")
    }

    /// The console as lines, in server order.
    func consoleLines(_ task: String) async throws -> [String] {
        let log = try await session.taskLog(task: task, batchSize: 10000)
        return log.events.compactMap { $0["msg"]?.stringValue }.joined().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// Polls until the task has `status`; returns how long that took.
    func waitForStatus(_ task: String, _ status: TaskStatus, seconds: Double = 30) async throws -> Duration {
        let start = ContinuousClock.now
        try await withDeadline(seconds) {
            while try await self.session.taskFields(id: task, ["status"])?.status != status {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        return ContinuousClock.now - start
    }

    func waitForConsole(_ task: String, containing text: String, seconds: Double = 60) async throws {
        try await withDeadline(seconds) {
            while !(try await self.consoleLines(task).contains { $0.contains(text) }) {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    // MARK: - Files

    @discardableResult
    static func run(_ arguments: [String], in directory: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment
        env["GIT_AUTHOR_NAME"] = "t"; env["GIT_AUTHOR_EMAIL"] = "t@example.com"
        env["GIT_COMMITTER_NAME"] = "t"; env["GIT_COMMITTER_EMAIL"] = "t@example.com"
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw HarnessError("\(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(output)")
        }
        return output
    }

    /// A git repository with `files` committed on branch main; returns its path.
    func makeRepository(_ files: [String: String], name: String = "repo-\(UUID().uuidString.prefix(6))") throws -> String {
        let path = root + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Self.run(["git", "init", "--quiet", "-b", "main"], in: path)
        for (file, text) in files {
            let url = URL(fileURLWithPath: path + "/" + file)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        try Self.run(["git", "add", "-A"], in: path)
        try Self.run(["git", "commit", "--quiet", "-m", "initial"], in: path)
        return path
    }

    /// A folder with `tinypkg-0.1` as a wheel, built by hand (no network, no build backend).
    static var wheelFolder: String { wheelFolderFolder }
    private static let wheelFolderFolder = FileManager.default.temporaryDirectory.appendingPathComponent("agent-test-wheels-\(getpid())").path

    /// Builds the wheel once; `start` fails with the reason when it cannot be built (a missing wheel
    /// would otherwise show up later as a confusing pip failure inside some task).
    static let wheelBuilt: Result<Void, HarnessError> = {
        let folder = wheelFolderFolder
        let script = """
        import sys, zipfile
        with zipfile.ZipFile(sys.argv[1] + '/tinypkg-0.1-py3-none-any.whl', 'w') as z:
            z.writestr('tinypkg/__init__.py', 'VALUE = 42\\n')
            z.writestr('tinypkg-0.1.dist-info/METADATA', 'Metadata-Version: 2.1\\nName: tinypkg\\nVersion: 0.1\\n')
            z.writestr('tinypkg-0.1.dist-info/WHEEL', 'Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n')
            z.writestr('tinypkg-0.1.dist-info/RECORD', 'tinypkg/__init__.py,,\\ntinypkg-0.1.dist-info/METADATA,,\\ntinypkg-0.1.dist-info/WHEEL,,\\ntinypkg-0.1.dist-info/RECORD,,\\n')
        """
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try run(["python3", "-c", script, folder])
        } catch {
            return .failure(HarnessError("cannot build the test wheel in \(folder): \(error)"))
        }
        guard FileManager.default.fileExists(atPath: folder + "/tinypkg-0.1-py3-none-any.whl") else {
            return .failure(HarnessError("the test wheel is missing from \(folder) after building it"))
        }
        return .success(())
    }()
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
