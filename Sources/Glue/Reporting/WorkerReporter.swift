import ClearMLAPI
import Foundation
import Logging

/// Makes the glue a worker in the ClearML UI: registered with its queues, a status report every
/// `workerReportInterval` listing the tasks its pods run, and unregistered on shutdown.
struct WorkerReporter: Sendable {
    let context: GlueContext
    let health: Health

    func run() async {
        let configuration = context.configuration
        let queues = context.queues.map(\.id)
        let tags = ["k8s-glue"] + configuration.workerTags
        do {
            try await context.session.registerWorker(configuration.workerID, queues: queues, timeout: 600, tags: tags)
            await health.clearML(ok: true)
        } catch {
            context.logger.warning("could not register the worker", metadata: ["error": "\(error)"])
            await health.clearML(ok: false)
        }
        while !Task.isCancelled {
            let live = await context.cache.all().filter { PodCache.isLive($0.value) }
            let running = live.keys.sorted()
            // The server keeps `queue` as the queue of the worker's current task (upstream sends it with `task`).
            let queue = running.first.flatMap { live[$0]?[path: "metadata", "labels", "clearml-agent-queue"]?.stringValue }
            do {
                try await context.session.reportWorkerStatus(
                    configuration.workerID, task: running.first, queue: queue, queues: queues,
                    machineStats: ["k8s_pods": .int(Int64(running.count))], tags: tags)
                await health.clearML(ok: true)
            } catch {
                context.logger.warning("worker status report failed", metadata: ["error": "\(error)"])
                await health.clearML(ok: false)
            }
            try? await Task.sleep(for: configuration.workerReportInterval)
        }
        // Cancelled: unregister from a fresh task, whose call is not cancelled with this one.
        let session = context.session
        let worker = configuration.workerID
        await Task { _ = try? await session.unregisterWorker(worker) }.value
    }
}
