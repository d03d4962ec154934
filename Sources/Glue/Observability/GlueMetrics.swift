import ClearMLAPI
import Foundation
import Prometheus

/// The controller's Prometheus metrics, on a registry of its own (so tests and two controllers in one
/// process never share counters). Served at `/metrics`.
public final class GlueMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let tasksPulled: Counter
    let podsCreated: Counter
    let dispatchLatency: DurationHistogram
    let leader: Gauge
    let unservedQueuePods: Gauge
    let cacheSynced: Gauge

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        tasksPulled = registry.makeCounter(descriptor: .init(metricName: "clearml_glue_tasks_pulled", unitName: "total", helpText: "Tasks taken from the served queues."))
        podsCreated = registry.makeCounter(descriptor: .init(metricName: "clearml_glue_pods_created", unitName: "total", helpText: "Task pods created."))
        dispatchLatency = registry.makeDurationHistogram(descriptor: .init(metricName: "clearml_glue_dispatch", unitName: "seconds", helpText: "From taking a task off its queue to its pod being created."), buckets: [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                      .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)])
        unservedQueuePods = registry.makeGauge(descriptor: .init(
            metricName: "clearml_glue_unserved_queue_pods", unitName: "",
            helpText: "Live pods of queues this glue no longer serves; they count toward max pods until they finish."))
        leader = registry.makeGauge(descriptor: .init(metricName: "clearml_glue_leader", unitName: "", helpText: "1 while this replica may launch pods (leader, or leader election off)."))
        cacheSynced = registry.makeGauge(descriptor: .init(metricName: "clearml_glue_pod_cache_synced", unitName: "", helpText: "1 once the pod list+watch has synced."))
    }

    func taskLaunched(queue: String) {
        registry.makeCounter(descriptor: .init(metricName: "clearml_glue_tasks_launched", unitName: "total", helpText: "Tasks whose pod was created, by queue."), labels: [("queue", queue)]).increment()
    }

    /// A task the glue failed, by a bounded reason (never the free-text message).
    func taskFailed(reason: String) {
        registry.makeCounter(descriptor: .init(metricName: "clearml_glue_tasks_failed", unitName: "total", helpText: "Tasks the glue failed, by reason."), labels: [("reason", reason)]).increment()
    }

    func taskRequeued(reason: String) {
        registry.makeCounter(descriptor: .init(metricName: "clearml_glue_tasks_requeued", unitName: "total", helpText: "Tasks put back in a queue, by reason."), labels: [("reason", reason)]).increment()
    }

    func podsByPhase(_ counts: [String: Int]) {
        for phase in ["Pending", "Running", "Succeeded", "Failed", "Unknown"] {
            registry.makeGauge(descriptor: .init(metricName: "clearml_glue_pods", unitName: "", helpText: "This glue's pods, by phase."), labels: [("phase", phase)]).set(Double(counts[phase] ?? 0))
        }
    }

    /// Hands the ClearML session every call's latency and outcome.
    public var clearMLObserver: @Sendable (CallRecord) -> Void {
        { [registry] record in
            registry.makeDurationHistogram(descriptor: .init(metricName: "clearml_api_request", unitName: "seconds", helpText: "ClearML API call latency, by endpoint."), labels: [("endpoint", record.endpoint)],
                buckets: [.milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                          .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5)]).record(record.duration)
            if let failure = record.failure {
                registry.makeCounter(descriptor: .init(metricName: "clearml_api_errors", unitName: "total", helpText: "Failed ClearML API calls, by endpoint and kind."), labels: [("endpoint", record.endpoint), ("kind", failure)]).increment()
            }
        }
    }

    public func exposition() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
