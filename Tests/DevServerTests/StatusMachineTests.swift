@testable import DevServer
import Testing

@Suite struct StatusMachineTests {
    /// Every (from, to) pair against upstream's table (spec §5): allowed iff listed or same state.
    @Test func transitionTableMatchesUpstream() {
        let allowed: [TaskStatus: Set<TaskStatus>] = [
            .created: [.queued, .inProgress],
            .queued: [.created, .inProgress, .stopped],
            .inProgress: [.stopped, .failed, .created, .completed],
            .stopped: [.closed, .created, .failed, .queued, .inProgress, .published, .publishing, .completed],
            .failed: [.created, .stopped, .published, .queued],
            .completed: [.published, .inProgress, .created],
            .closed: [.created, .failed, .published, .publishing, .stopped],
            .publishing: [.published],
            .published: [],
        ]
        for (from, targets) in allowed {
            for to in TaskStatus.allCases where to != .unknown {
                let result = StatusMachine.validate(from: from, to: to, force: false)
                let expectAllowed = targets.contains(to) || from == to
                switch result {
                case .success(let status):
                    #expect(expectAllowed, "\(from) -> \(to) should be refused")
                    #expect(status == to)
                case .failure(let error):
                    #expect(!expectAllowed, "\(from) -> \(to) should be allowed")
                    #expect(error.code == 400 && error.subcode == 110)
                }
            }
        }
    }

    @Test(arguments: [
        (TaskStatus.queued, TaskStatus.failed), (.queued, .completed), (.created, .stopped), (.failed, .inProgress),
        (.published, .created), (.completed, .failed),
    ])
    func forceSkipsValidation(from: TaskStatus, to: TaskStatus) {
        #expect(throws: APIError.self) { try StatusMachine.validate(from: from, to: to, force: false).get() }
        #expect((try? StatusMachine.validate(from: from, to: to, force: true).get()) == to)
    }

    @Test func stopOfRunningTaskOnlyRequestsStop() throws {
        #expect(try StatusMachine.stopOutcome(current: .inProgress, isDevelopment: false, hasLiveWorker: true, force: false).get()
            == .requestStop)
        #expect(try StatusMachine.stopOutcome(current: .inProgress, isDevelopment: true, hasLiveWorker: true, force: false).get()
            == .stopNow)
        #expect(try StatusMachine.stopOutcome(current: .inProgress, isDevelopment: false, hasLiveWorker: false, force: false).get()
            == .stopNow)
        #expect(try StatusMachine.stopOutcome(current: .queued, isDevelopment: false, hasLiveWorker: true, force: false).get()
            == .stopNow)
        #expect(throws: APIError.self) {
            try StatusMachine.stopOutcome(current: .created, isDevelopment: false, hasLiveWorker: false, force: false).get()
        }
        #expect(try StatusMachine.stopOutcome(current: .created, isDevelopment: false, hasLiveWorker: false, force: true).get()
            == .stopNow)
    }

    @Test func dequeueTargets() {
        #expect(StatusMachine.dequeueTarget(current: .queued, requested: .inProgress, enqueueStatus: .created) == .inProgress)
        #expect(StatusMachine.dequeueTarget(current: .queued, requested: nil, enqueueStatus: .stopped) == .stopped)
        #expect(StatusMachine.dequeueTarget(current: .inProgress, requested: nil, enqueueStatus: nil) == .created)
        #expect(StatusMachine.dequeueTarget(current: .completed, requested: .inProgress, enqueueStatus: nil) == nil)
        #expect(StatusMachine.dequeueTarget(current: .created, requested: .inProgress, enqueueStatus: nil) == nil)
    }
}
