import JSONValue

/// The queue configuration file (`--queue-config`): per-queue templates, overrides, pod limits, default
/// image and GPU count.
///
/// ```yaml
/// queues:
///   gpu:
///     template: {spec: {nodeSelector: {gpu: "true"}}}   # or templateFile: /etc/glue/gpu.yaml
///     overrides: {spec: {containers: [{resources: {limits: {memory: 8Gi}}}]}}
///     maxPods: 4
///     image: nvidia/cuda:12.4.1-runtime-ubuntu22.04
///     gpus: 1
/// ```
public enum QueueConfigFile {
    static let knownKeys: Set<String> = ["template", "templateFile", "overrides", "overridesFile", "maxPods", "image", "gpus"]

    /// - Parameter loadFile: reads a referenced template file (relative paths are the caller's business).
    public static func parse(
        _ document: JSONValue, source: String, loadFile: (String, String) throws(TemplateFile.Failure) -> JSONValue
    ) throws(TemplateFile.Failure) -> [String: ServedQueue] {
        guard let queues = document["queues"]?.objectValue else {
            throw TemplateFile.Failure(description: "\(source): expected a top-level 'queues:' mapping of queue name to settings")
        }
        var result: [String: ServedQueue] = [:]
        for (name, entry) in queues {
            let at = "\(source): queues.\(name)"
            guard let fields = entry.objectValue else {
                throw TemplateFile.Failure(description: "\(at) must be a mapping of settings (\(knownKeys.sorted().joined(separator: ", ")))")
            }
            if let unknown = fields.keys.first(where: { !knownKeys.contains($0) }) {
                throw TemplateFile.Failure(description: "\(at).\(unknown) is not a setting; use one of \(knownKeys.sorted().joined(separator: ", "))")
            }
            var pod = QueuePodSettings()
            pod.template = try mapping(fields["template"], at: "\(at).template")
            if let file = fields["templateFile"] {
                guard let path = file.stringValue else { throw TemplateFile.Failure(description: "\(at).templateFile must be a path") }
                pod.template = try loadFile(path, "\(at).templateFile")
            }
            pod.overrides = try mapping(fields["overrides"], at: "\(at).overrides")
            if let file = fields["overridesFile"] {
                guard let path = file.stringValue else { throw TemplateFile.Failure(description: "\(at).overridesFile must be a path") }
                pod.overrides = try loadFile(path, "\(at).overridesFile")
            }
            if let image = fields["image"] {
                guard let text = image.stringValue, !text.isEmpty else { throw TemplateFile.Failure(description: "\(at).image must be an image name") }
                pod.defaultImage = text
            }
            pod.gpus = try count(fields["gpus"], at: "\(at).gpus")
            result[name] = ServedQueue(name: name, pod: pod, maxPods: try count(fields["maxPods"], at: "\(at).maxPods"))
        }
        return result
    }

    private static func mapping(_ value: JSONValue?, at: String) throws(TemplateFile.Failure) -> JSONValue? {
        guard let value else { return nil }
        guard value.objectValue != nil else { throw TemplateFile.Failure(description: "\(at) must be a mapping (pod manifest fields)") }
        return value
    }

    private static func count(_ value: JSONValue?, at: String) throws(TemplateFile.Failure) -> Int? {
        guard let value else { return nil }
        guard case .int(let number) = value, number >= 0 else {
            throw TemplateFile.Failure(description: "\(at) must be a whole number >= 0")
        }
        return Int(number)
    }
}
