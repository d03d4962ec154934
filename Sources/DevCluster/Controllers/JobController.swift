import Foundation
import JSONValue
import KubeAPI

/// `batch/v1` Jobs, enough for the glue's Job mode: one pod at a time from `spec.template` (owned by
/// the Job, labelled with its name and uid), a new one after a failure while `backoffLimit` allows,
/// `status` counting active/succeeded/failed pods with the `Complete`/`Failed` conditions, and the
/// garbage collector's part: pods whose Job is gone are deleted (background propagation). Simplified
/// from kubernetes pkg/controller/job/job_controller.go; no parallelism, indexes or TTL.
actor JobController {
    private let store: ObjectStore
    private let kubelet: Kubelet
    private var tasks: [Task<Void, Never>] = []
    private var running = false
    private var dirty = false
    private var sawJobs = false

    init(store: ObjectStore, kubelet: Kubelet) {
        self.store = store
        self.kubelet = kubelet
    }

    /// Reconciles after every change to a Job or a pod.
    func start() async {
        for resource in [ResourceType.jobs, .pods] {
            guard let labels = try? LabelSelector(parsing: nil), let fields = try? FieldSelector(parsing: nil),
                  let subscription = try? await store.subscribe(WatchFilter(resource: resource, namespace: nil, labels: labels, fields: fields), from: nil)
            else { continue }
            tasks.append(Task { [weak self] in
                await self?.reconcile()
                for await _ in subscription.stream {
                    guard let self else { return }
                    await self.reconcile()
                }
            })
        }
    }

    func stop() {
        for task in tasks { task.cancel() }
        tasks.removeAll()
    }

    /// Job defaulting at create (pkg/apis/batch/v1/defaults.go, and the selector and labels
    /// pkg/registry/batch/job/strategy.go `generateSelector` adds).
    static func defaulted(_ job: JSONValue) -> JSONValue {
        var job = job
        let uid = job[path: "metadata", "uid"] ?? ""
        let name = job[path: "metadata", "name"] ?? ""
        for (key, value) in [("completions", JSONValue.int(1)), ("parallelism", 1), ("backoffLimit", 6), ("completionMode", "NonIndexed"),
                             ("suspend", false), ("podReplacementPolicy", "TerminatingOrFailed")] where job[path: "spec", key] == nil {
            job[path: "spec", key] = value
        }
        if job[path: "spec", "selector"] == nil {
            job[path: "spec", "selector"] = ["matchLabels": ["batch.kubernetes.io/controller-uid": uid]]
        }
        for (key, value) in [("batch.kubernetes.io/controller-uid", uid), ("batch.kubernetes.io/job-name", name), ("controller-uid", uid), ("job-name", name)] {
            job[path: "spec", "template", "metadata", "labels", key] = value
        }
        job["status"] = [:]
        return job
    }

    private func reconcile() async {
        // Coalesce bursts: one pass at a time, one more if something changed meanwhile.
        if running { dirty = true; return }
        running = true
        repeat {
            dirty = false
            await pass()
        } while dirty
        running = false
    }

    private func pass() async {
        let jobs = await store.all(.jobs)
        // Until a Job exists no pod can be owned by one: pod changes cost nothing here.
        if jobs.isEmpty, !sawJobs { return }
        sawJobs = true
        let pods = await store.all(.pods)
        var owned: [String: [JSONValue]] = [:]
        for pod in pods {
            guard let owner = (pod[path: "metadata", "ownerReferences"]?.arrayValue ?? []).first(where: {
                $0["kind"]?.stringValue == "Job" && $0["controller"]?.boolValue == true
            }), let uid = owner["uid"]?.stringValue else { continue }
            owned[uid, default: []].append(pod)
        }
        var live = Set<String>()
        for job in jobs {
            let uid = job[path: "metadata", "uid"]?.stringValue ?? ""
            live.insert(uid)
            await sync(job, pods: owned[uid] ?? [])
        }
        for (uid, orphans) in owned where !live.contains(uid) {
            for pod in orphans where pod[path: "metadata", "deletionTimestamp"] == nil {
                _ = try? await kubelet.delete(pod, gracePeriodSeconds: nil)
            }
        }
    }

    private func sync(_ job: JSONValue, pods: [JSONValue]) async {
        let namespace = job[path: "metadata", "namespace"]?.stringValue ?? "default"
        let name = job[path: "metadata", "name"]?.stringValue ?? ""
        func phase(_ pod: JSONValue) -> String { pod[path: "status", "phase"]?.stringValue ?? "Pending" }
        let succeeded = pods.filter { phase($0) == "Succeeded" }.count
        let failed = pods.filter { phase($0) == "Failed" }.count
        let active = pods.filter { !["Succeeded", "Failed"].contains(phase($0)) && $0[path: "metadata", "deletionTimestamp"] == nil }
        let conditions = job[path: "status", "conditions"]?.arrayValue ?? []
        let finished = conditions.contains { ["Complete", "Failed"].contains($0["type"]?.stringValue ?? "") && $0["status"] == "True" }
        let now = JSONValue.string(KubeTime.format(Date()))
        var status = job["status"] ?? [:]
        status["active"] = active.isEmpty ? nil : .int(Int64(active.count))
        status["succeeded"] = succeeded == 0 ? nil : .int(Int64(succeeded))
        status["failed"] = failed == 0 ? nil : .int(Int64(failed))
        if !finished {
            let completions = Int(job[path: "spec", "completions"]?.intValue ?? 1)
            let backoffLimit = Int(job[path: "spec", "backoffLimit"]?.intValue ?? 6)
            if succeeded >= completions {
                status["conditions"] = .array(conditions + [Self.condition("Complete", reason: "", message: "", now: now)])
                status["completionTime"] = now
            } else if failed > backoffLimit {
                status["conditions"] = .array(conditions + [Self.condition("Failed", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit", now: now)])
                for pod in active { _ = try? await kubelet.delete(pod, gracePeriodSeconds: nil) }
            } else if active.isEmpty, job[path: "spec", "suspend"]?.boolValue != true, job[path: "metadata", "deletionTimestamp"] == nil {
                if status["startTime"] == nil { status["startTime"] = now }
                if await createPod(for: job) != nil { status["active"] = 1 }
            }
        }
        guard status != (job["status"] ?? [:]) else { return }
        let newStatus = status
        _ = try? await store.mutate(.jobs, namespace: namespace, name: name) { current in
            var current = current
            current["status"] = newStatus
            return current
        }
    }

    private static func condition(_ type: String, reason: String, message: String, now: JSONValue) -> JSONValue {
        var condition: JSONValue = ["type": .string(type), "status": "True", "lastProbeTime": now, "lastTransitionTime": now]
        if !reason.isEmpty { condition["reason"] = .string(reason) }
        if !message.isEmpty { condition["message"] = .string(message) }
        return condition
    }

    /// A pod from the template, as the controller's pod control creates it (`NAME-xxxxx`, owned by the Job).
    private func createPod(for job: JSONValue) async -> JSONValue? {
        let namespace = job[path: "metadata", "namespace"]?.stringValue ?? "default"
        let jobName = job[path: "metadata", "name"]?.stringValue ?? ""
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": job[path: "spec", "template", "metadata"] ?? [:],
            "spec": job[path: "spec", "template", "spec"] ?? [:],
        ]
        pod[path: "metadata", "name"] = .string("\(jobName)-" + String((0..<5).map { _ in alphabet.randomElement() ?? "x" }))
        pod[path: "metadata", "generateName"] = .string("\(jobName)-")
        pod[path: "metadata", "namespace"] = .string(namespace)
        pod[path: "metadata", "ownerReferences"] = [[
            "apiVersion": "batch/v1", "kind": "Job", "name": .string(jobName), "uid": job[path: "metadata", "uid"] ?? "",
            "controller": true, "blockOwnerDeletion": true,
        ]]
        pod = Defaults.apply(pod, type: .pods, manager: "kube-controller-manager", operation: "Update")
        pod = await ServiceAccountAdmission.admit(pod, store: store)
        guard let stored = try? await store.insert(.pods, pod) else { return nil }
        await kubelet.admit(stored)
        return stored
    }
}
