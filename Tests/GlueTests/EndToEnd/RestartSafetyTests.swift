import ClearMLAPI
import Foundation
import Glue
import GlueTestSupport
import JSONValue
import KubeAPI
import Testing

/// The glue as a real process, killed and restarted: nothing is lost, nothing launched twice.
@Suite(.serialized, .timeLimit(.minutes(20))) struct RestartSafetyTests {
    @Test func killNineAtRandomMomentsLosesNoTaskAndNeverCreatesTwoPods() async throws {
        try await GlueHarness.with { h in
            _ = try await h.agentConfiguration(queues: ["work"])  // the credentials Secret
            _ = try await h.ensureQueue("work")
            let directory = NSTemporaryDirectory() + "glue-kill-" + UUID().uuidString.prefix(8)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var tasks: [String] = []
            for n in 0..<100 {
                tasks.append(try await h.enqueueScriptTask("task \(n)", queue: "work", script: "print('task \(n) ran')\n"))
            }
            let observer = PodCreationObserver()
            let watch = Task { await observer.follow(h.kube) }

            var generator = SeededRandom.fromEnvironment("killNineAtRandomMoments")
            var unfinishedAtKill: [Int] = []
            var glue = try GlueProcess(harness: h, queues: ["work"], directory: directory, extra: ["--max-pods", "8"])
            for kill in 0..<10 {
                try await Task.sleep(for: .milliseconds(Int64.random(in: 300...2500, using: &generator)))
                // Each kill must hit a live glue: one that died by itself would make this test vacuous.
                try #require(glue.process.isRunning, "the glue exited by itself before kill \(kill): \(glue.log.suffix(2000))")
                unfinishedAtKill.append(try await unfinished(h, tasks))
                glue.kill(SIGKILL)
                #expect(await glue.waitForExit())
                #expect(glue.process.terminationReason == .uncaughtSignal && glue.process.terminationStatus == SIGKILL,
                        "kill \(kill): the glue ended with status \(glue.process.terminationStatus), not by SIGKILL")
                glue = try GlueProcess(harness: h, queues: ["work"], directory: directory, extra: ["--max-pods", "8"])
            }
            // The kills landed while work was left: after the first pods, before the last task finished.
            print("killNineAtRandomMoments: unfinished tasks at each kill \(unfinishedAtKill)")
            #expect(unfinishedAtKill.contains { $0 > 0 && $0 < 100 }, "no kill landed mid-run: \(unfinishedAtKill)")
            for (n, task) in tasks.enumerated() {
                _ = try await h.eventually("task \(n) completed", timeout: .seconds(300)) { () -> Bool? in
                    let status = try await h.task(task)["status"]?.stringValue
                    if status == "failed" || status == "stopped" {
                        Issue.record("task \(n) ended \(status ?? ""): \(try await h.task(task)["status_reason"]?.stringValue ?? "")")
                        return true
                    }
                    return status == "completed" ? true : nil
                }
            }
            glue.kill(SIGTERM)
            #expect(await glue.waitForExit())
            watch.cancel()
            let logs = (try FileManager.default.contentsOfDirectory(atPath: directory)).filter { $0.hasSuffix(".log") }
                .map { (try? String(contentsOfFile: directory + "/" + $0, encoding: .utf8)) ?? "" }.joined()
            #expect(logs.contains("pod created"))
            #expect(!logs.contains(h.server.secretKey), "the secret key appears in the glue's logs")
            let created = await observer.podsPerTask
            #expect(created.count == 100)
            #expect(created.values.allSatisfy { $0 == 1 }, "tasks with more than one pod: \(created.filter { $0.value > 1 })")
            for (n, task) in tasks.enumerated() {
                let log = try await h.session.taskLog(task: task).events.compactMap { $0["msg"]?.stringValue }.joined(separator: "\n")
                #expect(log.contains("task \(n) ran"), "console of task \(n)")
            }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test func twoReplicasWithLeaderElectionNeverDoubleLaunchAndHandOver() async throws {
        try await GlueHarness.with { h in
            _ = try await h.agentConfiguration(queues: ["work"])
            _ = try await h.ensureQueue("work")
            try await h.grant(.leaderElection)
            let directory = NSTemporaryDirectory() + "glue-lease-" + UUID().uuidString.prefix(8)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let observer = PodCreationObserver()
            let watch = Task { await observer.follow(h.kube) }
            let first = try GlueProcess(harness: h, queues: ["work"], directory: directory, extra: ["--leader-elect"], name: "first")
            let second = try GlueProcess(harness: h, queues: ["work"], directory: directory, extra: ["--leader-elect"], name: "second")
            var tasks: [String] = []
            for n in 0..<10 { tasks.append(try await h.enqueueScriptTask("task \(n)", queue: "work", script: "print('task \(n) ran')\n")) }
            for task in tasks {
                _ = try await h.eventually("completed", timeout: .seconds(120)) { () -> Bool? in
                    try await h.task(task)["status"]?.stringValue == "completed" ? true : nil
                }
            }
            // The leader steps down on SIGTERM and releases the lease; the other takes over at once.
            let lease = try await h.kube.get(.leases, namespace: "clearml", name: "clearml-glue")
            let holder = lease[path: "spec", "holderIdentity"]?.stringValue ?? ""
            #expect(!holder.isEmpty)
            let (leader, standby) = first.log.contains("became the leader") ? (first, second) : (second, first)
            #expect(!standby.log.contains("became the leader"))
            // Without a release the standby would wait out the 15 s lease; with it, one retry period (2 s).
            let terminated = ContinuousClock.now
            leader.kill(SIGTERM)
            #expect(await leader.waitForExit())
            #expect(leader.log.contains("released the lease"), "\(leader.log.suffix(2000))")
            do {
                _ = try await h.eventually("the standby leads", timeout: .seconds(30)) { standby.log.contains("became the leader") ? true : nil }
            } catch {
                Issue.record("the standby never led; its log ends: \(standby.log.suffix(3000))")
                throw error
            }
            let handover = ContinuousClock.now - terminated
            print("lease handover \(handover) after SIGTERM")
            #expect(handover < .seconds(6), "the standby took over \(handover) after SIGTERM (lease 15 s, retry 2 s)")
            let newHolder = try await h.kube.get(.leases, namespace: "clearml", name: "clearml-glue")[path: "spec", "holderIdentity"]?.stringValue ?? ""
            #expect(!newHolder.isEmpty && newHolder != holder, "the Lease is held by '\(newHolder)', before by '\(holder)'")
            for n in 10..<20 { tasks.append(try await h.enqueueScriptTask("task \(n)", queue: "work", script: "print('task \(n) ran')\n")) }
            for task in tasks {
                _ = try await h.eventually("completed", timeout: .seconds(120)) { () -> Bool? in
                    try await h.task(task)["status"]?.stringValue == "completed" ? true : nil
                }
            }
            standby.kill(SIGTERM)
            #expect(await standby.waitForExit())
            watch.cancel()
            let created = await observer.podsPerTask
            #expect(created.count == 20)
            #expect(created.values.allSatisfy { $0 == 1 }, "tasks with more than one pod: \(created.filter { $0.value > 1 })")
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}

/// How many of `tasks` are not completed yet (one tasks.get_all call).
private func unfinished(_ h: GlueHarness, _ tasks: [String]) async throws -> Int {
    let answer = try await h.session.call("tasks.get_all", ["id": .array(tasks.map(JSONValue.string)), "status": ["completed"], "only_fields": ["id"]])
    return tasks.count - (answer["tasks"]?.arrayValue?.count ?? 0)
}

/// Counts pod creations (distinct uids) per task, from a watch of its own.
actor PodCreationObserver {
    private var uids: [String: Set<String>] = [:]
    var podsPerTask: [String: Int] { uids.mapValues(\.count) }

    func follow(_ kube: KubeClient) async {
        let reflector = Reflector(client: kube, resource: .pods, options: .init(namespace: "clearml", labelSelector: "clearml-task-id"))
        let run = Task { await reflector.run() }
        for await event in reflector.events {
            switch event {
            case .added(let pod), .modified(let pod), .deleted(let pod):
                record(pod)
            case .relisted(let pods):
                pods.forEach(record)
            default:
                break
            }
            if Task.isCancelled { break }
        }
        run.cancel()
    }

    private func record(_ pod: JSONValue) {
        let view = PodView(pod)
        guard let task = view.labels["clearml-task-id"], let uid = view.uid else { return }
        uids[task, default: []].insert(uid)
    }
}
