import Foundation
import KubeAPI

extension ClusterAPI {
    /// `pods/{name}/log`: the container's captured stdout+stderr; `follow` streams until it stops.
    func log(namespace: String, name: String, _ request: APIRequest) async throws -> APIResponse {
        guard let pod = await store.get(.pods, namespace: namespace, name: name) else { throw APIError.notFound("pods", name) }
        let apps = (pod[path: "spec", "containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        let inits = (pod[path: "spec", "initContainers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        let container: String
        if let requested = request.query["container"], !requested.isEmpty {
            guard apps.contains(requested) || inits.contains(requested) else {
                throw APIError.badRequest("container \(requested) is not valid for pod \(name)")
            }
            container = requested
        } else if apps.count == 1 {
            container = apps[0]
        } else {
            throw APIError.badRequest(
                "a container name must be specified for pod \(name), choose one of: [\(apps.joined(separator: " "))]"
                    + (inits.isEmpty ? "" : " or one of the init containers: [\(inits.joined(separator: " "))]"))
        }
        let isInit = inits.contains(container)
        let status = (pod[path: "status", isInit ? "initContainerStatuses" : "containerStatuses"]?.arrayValue ?? [])
            .first { $0["name"]?.stringValue == container }
        var restart = Int(status?["restartCount"]?.intValue ?? 0)
        if request.flag("previous") {
            guard restart > 0 else {
                throw APIError.badRequest("previous terminated container \"\(container)\" in pod \"\(name)\" not found")
            }
            restart -= 1
        }
        guard let path = await kubelet.logPath(namespace: namespace, name: name, container: container, restart: restart),
              FileManager.default.fileExists(atPath: path) else {
            let reason = status?[path: "state", "waiting", "reason"]?.stringValue ?? "ContainerCreating"
            throw APIError.badRequest("container \"\(container)\" in pod \"\(name)\" is waiting to start: \(reason)")
        }
        let tail = request.query["tailLines"].flatMap { Int($0) }
        var initial = FileManager.default.contents(atPath: path) ?? Data()
        var offset = UInt64(initial.count)
        if let tail {
            let lines = initial.split(separator: 0x0A, omittingEmptySubsequences: false)
            let kept = lines.suffix(tail + (initial.last == 0x0A ? 1 : 0))
            initial = Data(kept.joined(separator: [0x0A]))
        }
        guard request.flag("follow") else { return .text(200, String(decoding: initial, as: UTF8.self)) }

        let kubelet = self.kubelet
        let (output, continuation) = AsyncStream.makeStream(of: Data.self, bufferingPolicy: .unbounded)
        let task = Task {
            if !initial.isEmpty { continuation.yield(initial) }
            while !Task.isCancelled {
                let running = await kubelet.isRunning(namespace: namespace, name: name, container: container)
                if let handle = FileHandle(forReadingAtPath: path) {
                    try? handle.seek(toOffset: offset)
                    let chunk = handle.readDataToEndOfFile()
                    try? handle.close()
                    if !chunk.isEmpty {
                        offset += UInt64(chunk.count)
                        continuation.yield(chunk)
                    }
                }
                if !running { break }
                try? await Task.sleep(for: .milliseconds(100))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return .stream(contentType: "text/plain", output)
    }
}
