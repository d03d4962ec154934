import Foundation

/// A terminated container's `message`, as the kubelet fills it (kuberuntime_container.go
/// `getTerminationMessage`/`readLastStringFromContainerLogs`): the file at `terminationMessagePath`,
/// at most 4096 bytes; when it is empty, the policy is `FallbackToLogsOnError` and the container
/// failed, the end of its log (the last 80 lines, at most 2048 bytes).
enum TerminationMessage {
    static let fileLimit = 4096
    static let logBytes = 2048
    static let logLines = 80

    static func read(plan: ContainerPlan, exitCode: Int32, logPath: String) -> String? {
        if let data = FileManager.default.contents(atPath: plan.terminationMessageFile), !data.isEmpty {
            return String(decoding: data.prefix(fileLimit), as: UTF8.self)
        }
        guard plan.fallbackToLogsOnError, exitCode != 0, let log = FileManager.default.contents(atPath: logPath), !log.isEmpty else { return nil }
        let tail = String(decoding: log.suffix(logBytes), as: UTF8.self)
        return tail.split(separator: "\n", omittingEmptySubsequences: false).suffix(logLines).joined(separator: "\n")
    }
}
