import Crypto
import JSONValue

/// Keeps a task's `last_iteration` and `last_metrics` current as scalar events arrive, the summary upstream
/// maintains (keyed by md5 of metric and variant names) so clients can read the latest values from the task.
enum MetricsUpdate {
    static func apply(_ event: JSONValue, to task: inout JSONValue) {
        recordStats(event, on: &task)
        guard let iteration = event["iter"]?.intValue else { return }
        if iteration > (task["last_iteration"]?.intValue ?? 0) { task["last_iteration"] = .int(iteration) }
        guard event["type"]?.strictString == "training_stats_scalar",
              let metric = event["metric"]?.strictString, let variant = event["variant"]?.strictString,
              let value = event["value"], value.doubleValue != nil
        else { return }
        let metricKey = md5(metric), variantKey = md5(variant)
        var metrics = task["last_metrics"]?.objectValue ?? [:]
        var variants = metrics[metricKey]?.objectValue ?? [:]
        var entry = variants[variantKey]?.objectValue ?? [:]
        entry["metric"] = .string(metric)
        entry["variant"] = .string(variant)
        entry["value"] = value
        entry["x_axis_label"] = event["x_axis_label"]
        if let number = value.doubleValue {
            if (entry["min_value"]?.doubleValue).map({ number < $0 }) ?? true { entry["min_value"] = value; entry["min_value_iteration"] = .int(iteration) }
            if (entry["max_value"]?.doubleValue).map({ number > $0 }) ?? true { entry["max_value"] = value; entry["max_value_iteration"] = .int(iteration) }
        }
        entry = entry.filter { !$0.value.isNull }
        variants[variantKey] = .object(entry)
        metrics[metricKey] = .object(variants)
        task["last_metrics"] = .object(metrics)
    }

    /// `metric_stats[md5(metric)].event_stats_by_type[type].last_update` (epoch ms), as upstream keeps it.
    private static func recordStats(_ event: JSONValue, on task: inout JSONValue) {
        guard let type = event["type"]?.strictString else { return }
        let metric = event["metric"]?.strictString ?? ""
        let key = md5(metric)
        var stats = task["metric_stats"]?.objectValue ?? [:]
        var entry = stats[key]?.objectValue ?? ["metric": .string(metric)]
        var byType = entry["event_stats_by_type"]?.objectValue ?? [:]
        byType[type] = ["last_update": event["timestamp"] ?? 0]
        entry["event_stats_by_type"] = .object(byType)
        stats[key] = .object(entry)
        task["metric_stats"] = .object(stats)
    }

    static func md5(_ text: String) -> String {
        Insecure.MD5.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
