import Foundation
import Testing
@testable import Glue

@Suite struct SchedulingTests {
    @Test func pollIntervalIsImmediateWhileBusyAndBacksOffToIdle() {
        var interval = PollInterval()
        #expect(interval.record(found: false) == .milliseconds(25))
        #expect(interval.record(found: false) == .milliseconds(50))
        #expect(interval.record(found: false) == .milliseconds(100))
        #expect(interval.record(found: false) == .milliseconds(200))
        #expect(interval.record(found: false) == .milliseconds(250))
        #expect(interval.record(found: false) == .milliseconds(250))
        #expect(interval.record(found: true) == .zero)
        var slow = PollInterval(idle: .seconds(5))
        for _ in 0..<20 { _ = slow.record(found: false) }
        #expect(slow.current == .seconds(5))
    }

    @Test func strictPriorityAlwaysStartsWithTheFirstQueue() {
        var rotation = QueueRotation(queues: ["a", "b", "c"], fair: false)
        rotation.served("a")
        #expect(rotation.order() == ["a", "b", "c"])
    }

    @Test func orderFairnessStartsAfterTheQueueLastServed() {
        var rotation = QueueRotation(queues: ["a", "b", "c"], fair: true)
        #expect(rotation.order() == ["a", "b", "c"])
        rotation.served("a")
        #expect(rotation.order() == ["b", "c", "a"])
        rotation.served("c")
        #expect(rotation.order() == ["a", "b", "c"])
        rotation.served("zzz")
        #expect(rotation.order() == ["a", "b", "c"])
    }

    @Test func tokenBucketSpendsTheBurstThenPacesAtTheRate() {
        var bucket = TokenBucket(rate: 10, burst: 3)
        let t0 = ContinuousClock.now
        #expect(bucket.take(now: t0) == .zero)
        #expect(bucket.take(now: t0) == .zero)
        #expect(bucket.take(now: t0) == .zero)
        #expect(bucket.take(now: t0) == .milliseconds(100))
        #expect(bucket.take(now: t0 + .milliseconds(100)) == .zero)
        #expect(bucket.take(now: t0 + .seconds(10)) == .zero)  // refilled, but never past the burst
        #expect(bucket.take(now: t0 + .seconds(10)) == .zero)
        #expect(bucket.take(now: t0 + .seconds(10)) == .zero)
        #expect(bucket.take(now: t0 + .seconds(10)) > .zero)
    }

    @Test func capacityCountsLivePodsGloballyAndPerQueue() {
        let capacity = Capacity(maxPods: 4, maxPodsPerQueue: ["gpu": 1])
        #expect(capacity.allows(queue: "cpu", livePods: ["cpu": 2, "gpu": 1]))
        #expect(!capacity.allows(queue: "gpu", livePods: ["cpu": 2, "gpu": 1]))
        #expect(!capacity.allows(queue: "cpu", livePods: ["cpu": 3, "gpu": 1]))
        #expect(capacity.full(livePods: ["cpu": 4]))
        #expect(Capacity().allows(queue: "x", livePods: ["x": 10_000]))
    }
}

@Suite struct WorkScheduleTests {
    var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }

    /// 2026-11-24 is a Tuesday.
    func date(day: Int, hour: Int) -> Date {
        calendar.date(from: DateComponents(year: 2026, month: 11, day: day, hour: hour, minute: 30))!
    }

    @Test func uptimeWorksOnlyInsideItsWindows() throws {
        let schedule = try WorkSchedule(mode: .uptime, entries: ["17-20 TUE", "9 SAT,SUN"])
        #expect(schedule.allowsWork(at: date(day: 24, hour: 17), calendar: calendar))
        #expect(schedule.allowsWork(at: date(day: 24, hour: 19), calendar: calendar))
        #expect(!schedule.allowsWork(at: date(day: 24, hour: 20), calendar: calendar))
        #expect(!schedule.allowsWork(at: date(day: 25, hour: 18), calendar: calendar))
        #expect(schedule.allowsWork(at: date(day: 29, hour: 9), calendar: calendar))  // Sunday
    }

    @Test func downtimeWorksEverywhereElseAndDayRangesWrap() throws {
        let schedule = try WorkSchedule(mode: .downtime, entries: ["0-6 FRI-MON"])
        #expect(!schedule.allowsWork(at: date(day: 23, hour: 3), calendar: calendar))  // Monday
        #expect(!schedule.allowsWork(at: date(day: 29, hour: 5), calendar: calendar))  // Sunday
        #expect(schedule.allowsWork(at: date(day: 24, hour: 3), calendar: calendar))  // Tuesday
        #expect(schedule.allowsWork(at: date(day: 23, hour: 7), calendar: calendar))
    }

    @Test(arguments: ["25-26 TUE", "17-20 TUES", "20-17", "", "1 2 3"])
    func malformedEntriesSayTheFormat(entry: String) {
        #expect(throws: WorkSchedule.ParseError.self) { try WorkSchedule(mode: .uptime, entries: [entry]) }
    }
}
