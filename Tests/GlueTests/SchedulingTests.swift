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
