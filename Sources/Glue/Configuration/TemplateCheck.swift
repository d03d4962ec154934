import JSONValue
import KubeAPI
import Logging

/// Each pod template the glue will use (the base one and every queue's own), rendered for a probe task
/// and sent to the API server as a dry run with strict field validation. A typo (`spec.nodeSelectr`)
/// or a value the server refuses then stops the glue at start, naming the field and the file, instead
/// of being dropped from every task pod without a word.
public enum TemplateCheck {
    static let probeTaskID = "templatecheck"

    /// Throws `GlueError` for a template the API server refuses. A cluster that cannot be reached (or
    /// answers 403 to a dry run) is not the template's fault: that is logged and the glue starts.
    public static func verify(_ configuration: GlueConfiguration, kube: KubeClient, logger: Logger) async throws {
        var checked: [JSONValue] = []
        for queue in configuration.queues {
            let source = configuration.queueSources[queue.name].map { "\($0) (over \(configuration.baseTemplateSource))" } ?? configuration.baseTemplateSource
            let probe = PodTask(id: probeTaskID, queueID: "template-check", queueName: queue.name)
            let rendered: RenderedPod
            do {
                rendered = try PodRenderer.render(task: probe, queue: queue.pod, baseTemplate: configuration.baseTemplate, settings: configuration.render)
            } catch {
                throw GlueError("\(source): the pod template for queue '\(queue.name)' cannot be rendered: \(error)")
            }
            if checked.contains(rendered.manifest) { continue }
            checked.append(rendered.manifest)
            if let problem = try await refusal(of: rendered, kind: configuration.render.kind, kube: kube, logger: logger) {
                throw GlueError("\(source): the Kubernetes API refuses the pod this template makes for queue '\(queue.name)': \(problem); fix that field in the file")
            }
        }
    }

    /// The API server's objection to a rendered pod (dry run, strict), or nil when it accepts it or
    /// cannot be asked. Warnings are logged.
    public static func refusal(of rendered: RenderedPod, kind: PodRenderSettings.Kind, kube: KubeClient, logger: Logger) async throws -> String? {
        let resource: ResourceType = kind == .job ? .jobs : .pods
        do {
            let result = try await kube.create(resource, namespace: rendered.namespace, rendered.manifest, options: WriteOptions(fieldValidation: .strict, dryRun: true))
            for warning in result.warnings { logger.warning("the pod template draws a warning from the Kubernetes API", metadata: ["warning": "\(warning)"]) }
            return nil
        } catch let error as KubeError where error.kind == .invalid || (error.kind == .forbidden && !KubeAccess.isRBACDenial(error)) {
            return error.message
        } catch let error as KubeError where error.kind == .alreadyExists {
            return nil
        } catch {
            logger.warning("could not check the pod template against the Kubernetes API (dry run); it is checked again with each pod", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
