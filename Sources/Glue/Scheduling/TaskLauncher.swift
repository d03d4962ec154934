import ClearMLAPI
import Foundation
import JSONValue
import KubeAPI
import Logging

/// Turns one task taken off a queue into a pod: park it in the pending queue, render, create. Every
/// failure ends in a known state: the pod exists, the task failed with the reason, or the task is back
/// at the front of its queue. Nothing is left in between.
struct TaskLauncher: Sendable {
    enum Outcome: Sendable, Equatable {
        case launched
        case failed
        /// Returned to its queue; the scheduler should leave the queue alone for a while.
        case returned(backoff: Duration)
        /// The task changed under us (aborted, deleted): nothing to do.
        case skipped
    }

    static let pendingReason = "k8s pending scheduler"

    let context: GlueContext
    let createLimiter: CreateLimiter

    func launch(task: String, from queue: QueueRef, takenAt: ContinuousClock.Instant) async -> Outcome {
        let logger = context.logger.with(["task_id": "\(task)", "queue": "\(queue.name)"])
        do {
            try await parkInPendingQueue(task)
        } catch {
            logger.warning("could not move the task to the pending queue; returning it to its queue", metadata: ["error": "\(error)"])
            return await returnToQueue(task, queue, reason: "k8s glue could not reach the pending queue", logger: logger)
        }
        return await create(task: task, queue: queue, takenAt: takenAt, logger: logger)
    }

    /// Renders and creates the pod of a task already in the pending queue (also the reconciler's path).
    func create(task: String, queue: QueueRef, takenAt: ContinuousClock.Instant, logger: Logger) async -> Outcome {
        let configuration = context.configuration
        async let properties: Void = recordProperties(task, queue)
        let document: JSONValue
        do {
            guard let found = try await context.session.taskFields(id: task, PodTask.documentFields) else {
                _ = await properties
                logger.notice("task vanished before its pod was created")
                return .skipped
            }
            document = found.document
        } catch {
            _ = await properties
            logger.warning("could not read the task; returning it to its queue", metadata: ["error": "\(error)"])
            return await returnToQueue(task, queue, reason: "k8s glue could not read the task", logger: logger)
        }
        _ = await properties
        if let status = document["status"]?.stringValue, status != "queued" {
            logger.notice("task is \(status), not queued: not launching it")
            _ = try? await context.session.removeTask(queue: context.pendingQueueID, task: task)
            return .skipped
        }
        let rendered: RenderedPod
        do {
            let podTask = try PodTask(document: document, queueID: queue.id, queueName: queue.name)
            let served = configuration.queue(named: queue.name) ?? ServedQueue(name: queue.name)
            rendered = try PodRenderer.render(task: podTask, queue: served.pod, baseTemplate: configuration.baseTemplate, settings: configuration.render)
        } catch {
            return await fail(task, reason: "render", message: "K8S glue error: \(error)", logger: logger)
        }
        var logger = logger
        logger[metadataKey: "pod"] = "\(rendered.namespace)/\(rendered.name)"
        for note in rendered.notes { logger.notice("\(note)") }

        let warnings: [String]
        switch await createPod(rendered, task: task, logger: logger) {
        case .created(let answer, let owner):
            warnings = answer
            if let conf = configuration.render.podClearMLConf, let failure = await createConfSecret(rendered, owner: owner, content: conf, task: task) {
                logger.warning("could not give the pod its --pod-clearml-conf Secret; pod deleted, task returned to its queue", metadata: ["error": "\(failure)"])
                return await returnToQueue(task, queue, reason: "k8s glue: \(failure)", logger: logger, backoff: .seconds(2))
            }
        case .refused(let error):
            return await fail(task, reason: error.kind.rawValue, message: "K8S glue error: the Kubernetes API refused pod \(rendered.name): \(error.message)", logger: logger)
        case .quotaExceeded(let error):
            logger.notice("namespace quota exceeded; returning the task to its queue", metadata: ["error": "\(error.message)"])
            return await returnToQueue(task, queue, reason: "k8s quota exceeded, waiting for capacity", logger: logger, backoff: .seconds(5))
        case .unavailable(let error):
            logger.warning("could not create the pod; returning the task to the front of its queue", metadata: ["error": "\(error)"])
            return await returnToQueue(task, queue, reason: "k8s glue could not create the pod: \(Self.brief(error))", logger: logger, backoff: .seconds(2))
        }
        await context.cache.expect(task: task, queue: queue.id)
        context.metrics.taskLaunched(queue: queue.name)
        context.metrics.dispatchLatency.record(.now - takenAt)
        logger.info("pod created")
        var lines = ["task \(task) pulled from \(queue.name) by worker \(configuration.workerID); pod \(rendered.namespace)/\(rendered.name) created"]
        lines += rendered.notes.map { "K8S glue: \($0)" }
        lines += warnings.map { "K8S glue: the Kubernetes API warned: \($0)" }
        await context.console(task, lines.joined(separator: "\n"))
        return .launched
    }

    enum CreateResult {
        /// `owner`: the created object, or the pod kept from before a restart (nil when not known).
        case created(warnings: [String], owner: JSONValue?)
        /// The object is wrong (422, strict-decoding 400) or admission refused it for good.
        case refused(KubeError)
        case quotaExceeded(KubeError)
        /// Unreachable, overloaded, or refusing credentials that were good a moment ago: nothing is wrong
        /// with the task, so it goes back to its queue rather than failing.
        case unavailable(Error)
    }

    /// Creates the pod (or Job) with strict field validation. Transient failures are retried briefly. A
    /// 401 or 403 too: an API server that has just restarted refuses correctly authorised requests for a
    /// moment (seen: 403, then 201 26 ms later), and a rotated token is re-read on the next attempt. An
    /// RBAC denial that outlasts the retries returns the task to its queue and shows on `/readyz`.
    private func createPod(_ rendered: RenderedPod, task: String, logger: Logger) async -> CreateResult {
        let configuration = context.configuration
        let resource: ResourceType = configuration.render.kind == .job ? .jobs : .pods
        let options = WriteOptions(fieldValidation: .strict)
        let deadline = ContinuousClock.now + Self.authorizationRetryWindow
        var attempt = 0
        while true {
            attempt += 1
            await createLimiter.acquire()
            do {
                let result = try await context.kube.create(resource, namespace: rendered.namespace, rendered.manifest, options: options)
                context.metrics.podsCreated.increment()
                await context.health.clearForbidden(.createPods)
                return .created(warnings: result.warnings, owner: result.object)
            } catch let error as KubeError where error.kind == .alreadyExists {
                switch await replaceStalePod(rendered, task: task, resource: resource, logger: logger) {
                case .kept: return .created(warnings: [], owner: await context.cache.pod(task: task))
                case .removed where attempt < 4: continue
                case .removed, .failed: return .unavailable(error)
                }
            } catch let error as KubeError where error.kind == .quotaExceeded {
                return .quotaExceeded(error)
            } catch let error as KubeError where error.kind == .forbidden || error.kind == .unauthorized {
                if ContinuousClock.now < deadline, !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(min(1000, 50 * (1 << min(attempt, 5)))))
                    continue
                }
                if error.kind == .forbidden, KubeAccess.isRBACDenial(error) {
                    await context.health.reportForbidden(.createPods, error.message)
                    logger.warning("RBAC denies creating task pods: grant the missing rule to the glue's service account", metadata: [
                        "missing_rule": "\(KubeAccess.missingRule(verb: "create", resource: resource, namespace: rendered.namespace))",
                        "error": "\(error.message)",
                    ])
                } else if error.kind == .forbidden {
                    // Admission (Pod Security, a webhook, a LimitRange) refused this pod: it is the pod.
                    return .refused(error)
                }
                return .unavailable(error)
            } catch let error as KubeError where error.kind == .invalid {
                return .refused(error)
            } catch {
                if attempt < 4, !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200 * (1 << attempt)))
                    continue
                }
                return .unavailable(error)
            }
        }
    }

    static let authorizationRetryWindow: Duration = .seconds(5)

    /// `--pod-clearml-conf`: the Secret the new pod waits for. On failure the pod goes (it would wait for
    /// ever) and the message, which never holds the content, is returned. A Job's pod kept from before a
    /// restart names its Job as owner.
    private func createConfSecret(_ rendered: RenderedPod, owner: JSONValue?, content: String, task: String) async -> String? {
        var owner = owner
        if rendered.manifest["kind"]?.stringValue == "Job", owner?["kind"]?.stringValue != "Job",
           let job = owner?[path: "metadata", "ownerReferences"]?.arrayValue?.first(where: { $0["kind"]?.stringValue == "Job" }) {
            owner = ["kind": "Job", "metadata": ["uid": job["uid"] ?? .null]]
        }
        do {
            try await PodConfSecret.create(for: rendered, owner: owner ?? [:], content: content, kube: context.kube)
            return nil
        } catch {
            let message: String
            switch error {
            case .forbidden(let text): message = text
            case .failed(let text): message = text
            }
            let resource: ResourceType = rendered.manifest["kind"]?.stringValue == "Job" ? .jobs : .pods
            _ = try? await context.kube.delete(resource, namespace: rendered.namespace, name: rendered.name, options: DeleteOptions(propagationPolicy: .background))
            return message
        }
    }

    enum StalePod { case kept, removed, failed }

    /// A pod of this name already exists. Created before a restart and still pending or running: it is
    /// this launch's pod, keep it. Finished: left from an earlier run of the task (kept for its retention
    /// time), so it goes, and the new run gets the name.
    private func replaceStalePod(_ rendered: RenderedPod, task: String, resource: ResourceType, logger: Logger) async -> StalePod {
        guard let existing = await context.cache.pod(task: task),
              let phase = existing[path: "status", "phase"]?.stringValue, phase == "Succeeded" || phase == "Failed" else {
            logger.info("pod already exists (created before a restart); keeping it")
            return .kept
        }
        logger.info("removing the finished pod of an earlier run of the task", metadata: ["phase": "\(phase)"])
        do {
            if resource == .jobs {
                _ = try await context.kube.delete(.jobs, namespace: rendered.namespace, name: rendered.name, options: DeleteOptions(propagationPolicy: .background))
            } else {
                _ = try await context.kube.delete(.pods, namespace: rendered.namespace, name: rendered.name,
                                                  options: DeleteOptions(gracePeriodSeconds: 0, preconditionUID: existing[path: "metadata", "uid"]?.stringValue))
            }
        } catch let error as KubeError where error.kind == .notFound {
        } catch {
            logger.warning("could not remove the earlier run's pod", metadata: ["error": "\(error)"])
            return .failed
        }
        await context.cache.waitForRemoval(task: task, timeout: .seconds(5))
        return .removed
    }

    static func brief(_ error: Error) -> String {
        if let error = error as? KubeError { return error.message }
        return "\(error)"
    }

    /// The task stays `queued`, now in the hidden pending queue, so the UI shows it waiting for a pod.
    /// One call on servers that allow queued -> queued; older ones need the task stopped first.
    private func parkInPendingQueue(_ task: String) async throws(ClearMLAPIError) {
        do {
            _ = try await context.session.enqueue(task: task, queue: context.pendingQueueID, statusReason: Self.pendingReason)
        } catch let error where error.serverCodes?.code == 400 && error.serverCodes?.subcode != 701 {
            _ = try await context.session.stop(task: task, force: true, statusReason: "moving to k8s pending queue")
            _ = try await context.session.enqueue(task: task, queue: context.pendingQueueID, statusReason: Self.pendingReason)
        }
    }

    /// Upstream's user properties (`k8s-queue`...), which the reconciler also reads to find a parked
    /// task's queue.
    private func recordProperties(_ task: String, _ queue: QueueRef) async {
        do {
            try await context.session.editHyperParams(task: task, [
                (section: "properties", name: "k8s-queue", value: queue.name),
                (section: "properties", name: "k8s-queue-id", value: queue.id),
                (section: "properties", name: "k8s-agent", value: KubernetesNames.agentLabel(workerID: context.configuration.workerID)),
            ])
        } catch {
            context.logger.debug("could not record the task's k8s properties", metadata: ["task_id": "\(task)", "error": "\(error)"])
        }
    }

    func fail(_ task: String, reason: String, message: String, logger: Logger) async -> Outcome {
        logger.error("task failed by the glue", metadata: ["reason": "\(message)"])
        context.metrics.taskFailed(reason: reason)
        _ = try? await context.session.removeTask(queue: context.pendingQueueID, task: task)
        do {
            _ = try await context.session.changeStatus(.failed, task: task, force: true, statusReason: message, statusMessage: "Changed by K8S glue")
        } catch {
            logger.error("could not mark the task failed", metadata: ["error": "\(error)"])
        }
        await context.console(task, message, level: "error")
        return .failed
    }

    /// Back to the front of its own queue (not the end, unlike upstream): it was next in line.
    func returnToQueue(_ task: String, _ queue: QueueRef, reason: String, logger: Logger, backoff: Duration = .seconds(1)) async -> Outcome {
        context.metrics.taskRequeued(reason: "launch")
        do {
            _ = try await context.session.enqueue(task: task, queue: queue.id, statusReason: reason, force: true)
            try await context.session.moveTaskToFront(queue: queue.id, task: task)
        } catch where error.isServerError(code: 400, subcode: 706) || error.isServerError(code: 400, subcode: 703) {
            // Already in the queue (706), or taken off it again between the two calls (703): nothing lost.
            logger.debug("task already back in its queue", metadata: ["detail": "\(error)"])
        } catch {
            // The reconciler finds queued tasks that are in no queue and puts them back.
            logger.error("could not return the task to its queue; the reconciler will", metadata: ["error": "\(error)"])
        }
        return .returned(backoff: backoff)
    }
}

/// The token bucket on pod creates, shared by concurrent launches.
actor CreateLimiter {
    private var bucket: TokenBucket

    init(rate: Double, burst: Int) { bucket = TokenBucket(rate: rate, burst: burst) }

    func acquire() async {
        while true {
            let wait = bucket.take(now: .now)
            if wait == .zero { return }
            try? await Task.sleep(for: wait)
        }
    }
}
