#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import JSONValue

/// A running glue's record on this machine, so `daemon --stop` finds it by worker id as upstream's `daemon --stop`
/// finds its daemons (clearml_agent/helper/singleton.py keeps one pid file per instance in the temp folder).
/// One file per process (`<pid>.json`: pid, worker id, process start time), removed when the glue exits; a file
/// left by a killed glue is recognised as stale because no process with that pid and start time runs.
struct GluePidFile: Sendable {
    let path: String

    struct Entry: Sendable, Equatable {
        var pid: Int32
        var worker: String
        /// The process's start time (Linux: /proc/<pid>/stat field 22), so a recycled pid is not mistaken for it.
        var started: String?
        var path: String
    }

    /// `CLEARML_GLUE_PID_DIR`, else `clearml-glue-pids` in the temp folder.
    static func directory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let folder = environment["CLEARML_GLUE_PID_DIR"], !folder.isEmpty { return folder }
        return (NSTemporaryDirectory() as NSString).appendingPathComponent("clearml-glue-pids")
    }

    /// Records this process as the glue of `worker`. A folder that cannot be written only costs `daemon --stop`.
    static func register(worker: String, directory: String) throws -> GluePidFile {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pid = getpid()
        let path = (directory as NSString).appendingPathComponent("\(pid).json")
        var record: [String: JSONValue] = ["pid": .int(Int64(pid)), "worker": .string(worker)]
        if let started = startTime(of: pid) { record["started"] = .string(started) }
        try Data(JSONValue.object(record).encodedString().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        return GluePidFile(path: path)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// Every record in `directory`, for `worker` (all workers when nil).
    static func entries(in directory: String, worker: String?) -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path), let record = try? JSONValue.decode(data),
                  let pid = record["pid"]?.intValue, let id = record["worker"]?.stringValue, worker == nil || id == worker else { return nil }
            return Entry(pid: Int32(truncatingIfNeeded: pid), worker: id, started: record["started"]?.stringValue, path: path)
        }
    }

    /// Whether the process the entry names still runs (same pid, same start time when known).
    static func isAlive(_ entry: Entry) -> Bool {
        guard entry.pid > 0, kill(entry.pid, 0) == 0 || errno == EPERM else { return false }
        guard let recorded = entry.started, let current = startTime(of: entry.pid) else { return true }
        return recorded == current
    }

    /// Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); nil where /proc is absent.
    static func startTime(of pid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces) start at field 3.
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : nil
    }
}
