import ClearMLAPI
import Foundation
import Logging
import ServiceLifecycle

/// Takes tasks off the served queues while there is capacity and hands each to a launcher, several
/// at a time. Polls as fast as tasks come, backs off to the idle interval when the queues are empty,
/// and stops taking work the moment it is cancelled (launches already started finish). With several
/// queues each round first asks which of them hold entries (`QueueSurvey`, one call for all), so the idle
/// cost is one call per tick whatever the number of queues.
struct Scheduler: Sendable {
    let context: GlueContext
    let launcher: TaskLauncher
    let gate: LeadershipGate

    func run() async {
        let configuration = context.configuration
        var poll = PollInterval(idle: configuration.idlePollInterval)
        var rotation = QueueRotation(queues: context.queues.map(\.id), fair: configuration.orderFairness)
        var survey = QueueSurvey(refresh: configuration.idlePollInterval)
        // Pods carry the queue id, so per-queue limits are keyed by id.
        let capacity = Capacity(maxPods: configuration.maxPods, maxPodsPerQueue: Dictionary(uniqueKeysWithValues: context.queues.compactMap { queue in
            configuration.queue(named: queue.name)?.maxPods.map { (queue.id, $0) }
        }))
        let slots = Slots(limit: configuration.dispatchConcurrency)
        var resting: [String: ContinuousClock.Instant] = [:]
        var offDuty = false

        await withTaskGroup(of: Void.self) { group in
            while !Task.isCancelled, !Task.isShuttingDownGracefully {
                guard await gate.mayLaunch(), await context.cache.isSynced else {
                    try? await Task.sleep(for: .milliseconds(200))
                    continue
                }
                if let schedule = configuration.schedule {
                    let allowed = schedule.allowsWork(at: Date())
                    if allowed == offDuty {
                        offDuty = !allowed
                        context.logger.notice(offDuty ? "outside the work schedule: taking no new tasks" : "inside the work schedule: taking tasks")
                    }
                    if offDuty {
                        try? await Task.sleep(for: .seconds(1))
                        continue
                    }
                }
                var live = await context.cache.livePodsByQueue()
                for (queue, count) in await slots.inFlightByQueue() { live[queue, default: 0] += count }
                if capacity.full(livePods: live) {
                    await context.cache.waitForCapacityChange(timeout: .seconds(1))
                    continue
                }
                await slots.waitForSlot()
                var found = false
                let now = ContinuousClock.now
                let candidates = rotation.order().filter { queueID in
                    if let until = resting[queueID], until > now { return false }
                    return capacity.allows(queue: queueID, livePods: live) && context.queue(id: queueID) != nil
                }
                // One candidate costs one call either way, so it is popped straight away; several are surveyed
                // first, in one call, and only those with entries are popped.
                if candidates.count > 1, survey.due(candidates: candidates, now: now) {
                    do {
                        let occupancy = try await context.session.queueOccupancy(candidates)
                        survey.record(waiting: occupancy.waiting, at: now)
                        for queueID in candidates where !occupancy.present.contains(queueID) {
                            let name = context.queue(id: queueID)?.name ?? queueID
                            context.logger.warning("a served queue is not on the ClearML server; was it deleted?", metadata: ["queue": "\(name)", "queue_id": "\(queueID)"])
                            resting[queueID] = now + .seconds(2)
                        }
                    } catch {
                        context.logger.warning("could not read the served queues", metadata: ["queues": "\(candidates.count)", "error": "\(error)"])
                        for queueID in candidates { resting[queueID] = now + .seconds(2) }
                    }
                }
                for queueID in candidates where candidates.count == 1 || survey.mayHaveWork(queueID) {
                    if let until = resting[queueID], until > now { continue }
                    guard let queue = context.queue(id: queueID) else { continue }
                    let entry: QueueEntry?
                    do {
                        entry = try await context.session.nextTask(queue: queueID)
                    } catch {
                        context.logger.warning("could not poll the queue", metadata: ["queue": "\(queue.name)", "error": "\(error)"])
                        resting[queueID] = .now + .seconds(2)
                        survey.drained(queueID)
                        continue
                    }
                    guard let entry else {
                        survey.drained(queueID)
                        continue
                    }
                    let taken = ContinuousClock.now
                    context.metrics.tasksPulled.increment()
                    rotation.served(queueID)
                    found = true
                    await slots.begin(queue: queueID)
                    await context.inFlight.insert(entry.task)
                    group.addTask {
                        let outcome = await launcher.launch(task: entry.task, from: queue, takenAt: taken)
                        await context.inFlight.remove(entry.task)
                        await slots.end(queue: queueID, outcome: outcome)
                    }
                    break
                }
                for (queue, until) in await slots.takeBackoffs() { resting[queue] = until }
                if !found {
                    let pause = poll.record(found: false)
                    if pause > .zero { try? await Task.sleep(for: pause) }
                } else {
                    _ = poll.record(found: true)
                }
            }
            await group.waitForAll()
        }
    }
}

/// Bounds concurrent launches and remembers which queue asked to rest after a returned task.
actor Slots {
    private let limit: Int
    private var active: [String: Int] = [:]
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var backoffs: [String: ContinuousClock.Instant] = [:]

    init(limit: Int) { self.limit = max(1, limit) }

    private var total: Int { active.values.reduce(0, +) }

    func waitForSlot() async {
        while total >= limit { await withCheckedContinuation { waiters.append($0) } }
    }

    func begin(queue: String) { active[queue, default: 0] += 1 }

    func end(queue: String, outcome: TaskLauncher.Outcome) {
        active[queue, default: 1] -= 1
        if case .returned(let backoff) = outcome { backoffs[queue] = .now + backoff }
        let woken = waiters
        waiters = []
        for waiter in woken { waiter.resume() }
    }

    /// Launches still running count against capacity: their pods are not in the cache yet.
    func inFlightByQueue() -> [String: Int] { active.filter { $0.value > 0 } }

    func takeBackoffs() -> [String: ContinuousClock.Instant] {
        defer { backoffs = [:] }
        return backoffs
    }
}
