import Testing
@testable import Glue

/// `QueueSurvey`: when the scheduler asks the server which queues hold entries, and which it pops.
@Suite(.timeLimit(.minutes(1))) struct QueueSurveyTests {
    let t0 = ContinuousClock.now

    @Test func surveysWhenNothingIsKnownToWaitAndAtLeastEveryTickWhileBusy() {
        var survey = QueueSurvey(refresh: .milliseconds(300))
        #expect(survey.due(candidates: ["a", "b"], now: t0))  // never asked
        survey.record(waiting: ["b"], at: t0)
        #expect(!survey.due(candidates: ["a", "b"], now: t0 + .milliseconds(100)))
        #expect(!survey.mayHaveWork("a"))
        #expect(survey.mayHaveWork("b"))
        // Busy on b: a task arriving on a is seen within one tick.
        #expect(survey.due(candidates: ["a", "b"], now: t0 + .milliseconds(300)))
        // b drained by someone else: ask again at once rather than wait for the tick.
        survey.drained("b")
        #expect(survey.due(candidates: ["a", "b"], now: t0 + .milliseconds(100)))
    }

    @Test func queuesThatCannotTakeWorkDoNotHoldTheSurveyBack() {
        var survey = QueueSurvey(refresh: .seconds(1))
        survey.record(waiting: ["full"], at: t0)
        // "full" waits but is at its max pods (not a candidate): the others must be surveyed.
        #expect(survey.due(candidates: ["a", "b"], now: t0 + .milliseconds(10)))
        #expect(!survey.due(candidates: ["a", "full"], now: t0 + .milliseconds(10)))
    }

    /// Priority and fairness stay with `QueueRotation`: the scheduler pops the surveyed queues in its order.
    @Test func popOrderIsTheRotationsOrderRestrictedToWaitingQueues() {
        var survey = QueueSurvey(refresh: .seconds(1))
        survey.record(waiting: ["c", "a"], at: t0)
        var strict = QueueRotation(queues: ["a", "b", "c"], fair: false)
        strict.served("a")
        #expect(strict.order().filter(survey.mayHaveWork) == ["a", "c"])
        var fair = QueueRotation(queues: ["a", "b", "c"], fair: true)
        fair.served("a")
        #expect(fair.order().filter(survey.mayHaveWork) == ["c", "a"])
    }
}
