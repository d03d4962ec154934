import ClearMLAPI
import Foundation
import JSONValue
import ServiceLifecycle

enum DemoOutcome: Equatable, Sendable {
    case completed
    case ended(String)
}

actor DemoBox {
    var outcome: DemoOutcome?
    func set(_ value: DemoOutcome) { outcome = value }
}

/// The `dev --demo` task: a git repository made on the spot, a task pointing at it, enqueued, followed
/// until it ends, then its console printed as ClearML stored it.
struct DemoRunner: Service {
    let session: ClearMLSession
    let queue: String
    let directory: String
    let box: DemoBox

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await follow() }
    }

    private func follow() async throws {
        let repository = try makeRepository()
        var project = try await session.projectID(named: "clearml-glue demo")
        if project == nil { project = try await session.createProject(name: "clearml-glue demo") }
        let task = try await session.createTask([
            "name": "hello from clearml-glue", "type": "training", "project": .string(project ?? ""),
            "script": ["repository": .string(repository), "branch": "main", "entry_point": "hello.py", "binary": "python3", "working_dir": "."],
        ])
        guard let queueID = try await session.resolveQueue(queue)?.id else { throw DemoFailure(description: "queue \(queue) does not exist") }
        _ = try await session.enqueue(task: task, queue: queueID)
        say("demo: task \(task) enqueued in '\(queue)'")
        var last = ""
        while !Task.isCancelled {
            let document = try await session.taskFields(id: task, ["status", "status_reason", "status_message"])?.document ?? [:]
            let status = document["status"]?.stringValue ?? "?"
            let line = "demo: task is \(status)" + (document["status_reason"]?.stringValue.map { " (\($0))" } ?? "")
            if line != last {
                say(line)
                last = line
            }
            if ["completed", "failed", "stopped"].contains(status) {
                let log = try await session.taskLog(task: task).events.compactMap { $0["msg"]?.stringValue }
                let lines = log.flatMap { $0.split(separator: "\n", omittingEmptySubsequences: true) }
                say("demo: the task's console in ClearML:\n" + lines.map { "  | " + $0 }.joined(separator: "\n"))
                await box.set(status == "completed" ? .completed : .ended(status))
                return
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    private func say(_ text: String) {
        print(text)
        fflush(nil)
    }

    /// A one-commit repository with a script that prints a few lines.
    private func makeRepository() throws -> String {
        let path = directory + "/demo-repo"
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let script = """
            import platform, time
            print("hello from a ClearML task run by clearml-glue on python", platform.python_version())
            for step in range(3):
                print(f"step {step}")
                time.sleep(0.2)
            print("done")

            """
        try script.write(toFile: path + "/hello.py", atomically: true, encoding: .utf8)
        for arguments in [["init", "-q", "-b", "main"], ["add", "hello.py"],
                          ["-c", "user.name=clearml-glue", "-c", "user.email=demo@localhost", "commit", "-q", "-m", "demo"]] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git", "-C", path] + arguments
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw DemoFailure(description: "git \(arguments.joined(separator: " ")) failed in \(path); is git installed?")
            }
        }
        return path
    }
}

struct DemoFailure: Error, CustomStringConvertible {
    let description: String
}
