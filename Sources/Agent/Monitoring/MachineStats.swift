#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import JSONValue

/// Basic machine statistics for `workers.status_report`, read from /proc and statvfs (the fields upstream
/// reports: cpu_usage, memory_used/free in MiB, disk_free_home in %, network rx/tx in MiB/s), plus GPU
/// figures from `nvidia-smi` when it is installed and GPUs are not disabled.
public struct MachineStats: Sendable {
    private var lastCPU: (busy: Double, total: Double)?
    private var lastNetwork: (rx: Double, tx: Double, at: ContinuousClock.Instant)?
    public var includeGPU: Bool

    public init(includeGPU: Bool) { self.includeGPU = includeGPU }

    public mutating func sample(home: String = NSHomeDirectory()) -> JSONValue {
        var stats: [String: JSONValue] = [:]
        if let cpu = Self.cpuTimes() {
            if let last = lastCPU, cpu.total > last.total {
                stats["cpu_usage"] = [.double(Self.round((cpu.busy - last.busy) / (cpu.total - last.total) * 100))]
            }
            lastCPU = cpu
        }
        if let memory = Self.memory() {
            stats["memory_used"] = .double(Self.round(memory.used))
            stats["memory_free"] = .double(Self.round(memory.free))
        }
        var fs = statvfs()
        if statvfs(home, &fs) == 0, fs.f_blocks > 0 {
            stats["disk_free_home"] = .double(Self.round(Double(fs.f_bavail) / Double(fs.f_blocks) * 100))
        }
        if let network = Self.network() {
            let now = ContinuousClock.now
            if let last = lastNetwork {
                let seconds = max(0.001, Double((now - last.at).components.seconds) + Double((now - last.at).components.attoseconds) / 1e18)
                stats["network_rx"] = .double(Self.round((network.rx - last.rx) / seconds / 1_048_576))
                stats["network_tx"] = .double(Self.round((network.tx - last.tx) / seconds / 1_048_576))
            }
            lastNetwork = (network.rx, network.tx, now)
        }
        return .object(stats)
    }

    static func round(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    static func cpuTimes() -> (busy: Double, total: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard values.count >= 4 else { return nil }
        let idle = values[3] + (values.count > 4 ? values[4] : 0)
        let total = values.reduce(0, +)
        return (total - idle, total)
    }

    /// MiB used and available, from /proc/meminfo.
    static func memory() -> (used: Double, free: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        var fields: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            fields[String(parts[0])] = Double(parts[1].split(separator: " ").first ?? "")
        }
        guard let total = fields["MemTotal"], let available = fields["MemAvailable"] else { return nil }
        return ((total - available) / 1024, available / 1024)
    }

    /// Bytes received and sent on all interfaces but loopback.
    static func network() -> (rx: Double, tx: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/net/dev", encoding: .utf8) else { return nil }
        var rx = 0.0, tx = 0.0
        for line in text.split(separator: "\n").dropFirst(2) {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) != "lo" else { continue }
            let numbers = parts[1].split(separator: " ").compactMap { Double($0) }
            guard numbers.count >= 9 else { continue }
            rx += numbers[0]
            tx += numbers[8]
        }
        return (rx, tx)
    }

    /// `nvidia-smi` figures (utilisation %, memory MiB, temperature) per GPU, when the tool exists.
    public static func gpuStats(runner: StepRunner) async -> JSONValue? {
        let tool = ChildProcess.resolve("nvidia-smi", path: runner.environment["PATH"])
        guard tool.contains("/") else { return nil }
        guard let result = try? await runner.capture([tool, "--query-gpu=utilization.gpu,memory.used,memory.total,temperature.gpu",
                                                      "--format=csv,noheader,nounits"]), result.code == 0 else { return nil }
        var utilisation: [JSONValue] = [], used: [JSONValue] = [], free: [JSONValue] = [], temperature: [JSONValue] = []
        for line in result.output.split(separator: "\n") {
            let values = line.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) ?? 0 }
            guard values.count == 4 else { continue }
            utilisation.append(.double(values[0]))
            used.append(.double(values[1]))
            free.append(.double(values[2] - values[1]))
            temperature.append(.double(values[3]))
        }
        guard !utilisation.isEmpty else { return nil }
        return ["gpu_usage": .array(utilisation), "gpu_memory_used": .array(used), "gpu_memory_free": .array(free),
                "gpu_temperature": .array(temperature)]
    }
}
