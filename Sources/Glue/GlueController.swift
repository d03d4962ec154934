import ClearMLAPI
import Foundation
import JSONValue
import KubeAPI
import Logging
import ServiceLifecycle
import UnixSignals

/// The glue controller: resolves its queues, then runs the pod cache, monitor, reconciler, worker
/// reporting, leader election, scheduler and health endpoints as one service group. On graceful
/// shutdown the scheduler stops taking tasks first and finishes the launches it started; the lease is
/// released last.
public struct GlueController: Sendable {
    public let context: GlueContext
    public let health: Health
    let gate: LeadershipGate

    /// Checks the queues exist (creating them with `createQueues`) and that the pending queue exists,
    /// so a wrong queue name stops the glue at start with what to do, not later.
    public static func prepare(configuration: GlueConfiguration, session: ClearMLSession, kube: KubeClient,
                               metrics: GlueMetrics = GlueMetrics(), logger: Logger) async throws -> GlueController {
        var queues: [QueueRef] = []
        for served in configuration.queues {
            if let found = try await session.resolveQueue(served.name) {
                queues.append(QueueRef(name: served.name, id: found.id))
            } else if configuration.createQueues {
                let (id, created) = try await session.findOrCreateQueue(name: served.name)
                if created { logger.notice("created queue", metadata: ["queue": "\(served.name)"]) }
                queues.append(QueueRef(name: served.name, id: id))
            } else {
                throw GlueError("queue '\(served.name)' does not exist on the ClearML server; create it in the UI, fix --queue, or pass --create-queue")
            }
        }
        guard !queues.isEmpty else { throw GlueError("no queue to serve: pass --queue NAME (or set K8S_GLUE_QUEUE)") }
        let (pending, created) = try await session.findOrCreateQueue(name: configuration.pendingQueueName, systemTags: configuration.pendingQueueTags)
        if created { logger.notice("created the pending queue", metadata: ["queue": "\(configuration.pendingQueueName)"]) }
        if queues.contains(where: { $0.id == pending }) {
            throw GlueError("queue '\(configuration.pendingQueueName)' is the glue's hidden pending queue and cannot also be served; choose another --k8s-pending-queue-name")
        }
        let cache = PodCache(namespaces: configuration.namespaces)
        let context = GlueContext(configuration: configuration, session: session, kube: kube, cache: cache, metrics: metrics,
                                  queues: queues, pendingQueueID: pending, logger: logger)
        let gate = LeadershipGate(electing: configuration.leaderElection != nil)
        metrics.leader.set(configuration.leaderElection == nil ? 1.0 : 0.0)
        return GlueController(context: context, health: context.health, gate: gate)
    }

    /// The controller's services in start order (shutdown runs in reverse).
    /// - Parameter onMetricsListening: told the metrics port once it listens (useful with port 0).
    public func services(onMetricsListening: @escaping @Sendable (Int) -> Void = { _ in }) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let context = self.context
        let launcher = TaskLauncher(context: context, createLimiter: CreateLimiter(rate: context.configuration.createRate, burst: context.configuration.createBurst))
        var services: [any Service] = []
        if let address = context.configuration.metricsAddress {
            services.append(HealthServer.make(host: address.host, port: address.port, metrics: context.metrics, health: health,
                                              logger: context.logger, onListening: onMetricsListening))
        }
        if let election = context.configuration.leaderElection {
            let elector = LeaderElector(kube: context.kube, settings: election, gate: gate, metrics: context.metrics, health: context.health, logger: context.logger)
            services.append(CancellingService("leader-election") { await elector.run() })
        }
        services.append(CancellingService("pod-cache") { await runCache() })
        services.append(CancellingService("console-outbox") { await context.outbox.run() })
        let monitor = PodMonitor(context: context, launcher: launcher, gate: gate)
        services.append(CancellingService("pod-monitor") { await monitor.run() })
        let reconciler = Reconciler(context: context, launcher: launcher, gate: gate)
        services.append(CancellingService("reconciler") { await reconciler.run() })
        let reporter = WorkerReporter(context: context, health: health)
        services.append(CancellingService("worker-reporter") { await reporter.run() })
        let scheduler = Scheduler(context: context, launcher: launcher, gate: gate)
        services.append(SchedulerService(scheduler: scheduler))
        return services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup) }
    }

    /// Runs until a signal in `signals` arrives (or the calling task is cancelled).
    public func run(signals: [UnixSignal] = [.sigterm, .sigint], onMetricsListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services(onMetricsListening: onMetricsListening), gracefulShutdownSignals: signals, logger: context.logger))
        context.logger.info("glue started", metadata: [
            "worker": "\(context.configuration.workerID)", "queues": "\(context.queues.map(\.name).joined(separator: ","))",
            "namespaces": "\(context.configuration.namespaces.joined(separator: ","))",
        ])
        try await group.run()
        context.logger.info("glue stopped")
    }

    private func runCache() async {
        let context = self.context
        await withTaskGroup(of: Void.self) { group in
            for namespace in context.configuration.namespaces {
                var options = Reflector.Options(namespace: namespace, labelSelector: context.configuration.podSelector)
                options.transform = PodCache.slim
                let reflector = Reflector(client: context.kube, resource: .pods, options: options)
                group.addTask { await reflector.run() }
                group.addTask { await context.cache.consume(namespace: namespace, events: reflector.events) }
            }
            var synced = false
            while !Task.isCancelled, !synced {
                try? await Task.sleep(for: .milliseconds(50))
                synced = await context.cache.isSynced
            }
            if synced { context.metrics.cacheSynced.set(1.0) }
            await group.waitForAll()
        }
    }
}

public struct GlueError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A long-running part that stops when the group shuts down.
struct CancellingService: Service, CustomStringConvertible {
    let description: String
    let body: @Sendable () async -> Void

    init(_ name: String, _ body: @escaping @Sendable () async -> Void) {
        description = name
        self.body = body
    }

    func run() async throws { await cancelWhenGracefulShutdown { await body() } }
}

/// The scheduler stops on graceful shutdown by itself (it must finish launches, not abandon them).
struct SchedulerService: Service, CustomStringConvertible {
    let scheduler: Scheduler
    var description: String { "scheduler" }
    func run() async throws { await scheduler.run() }
}
