import HoptraceCore
import Testing

/// Explain mode rewrites its trace tables (one nft transaction per namespace) at most once per
/// 100 ms, with the newest flows' selectors (issue 14, finding 3: one transaction per new flow
/// kept a run busy for minutes).
@Suite struct SelectorBatchTests {
    static func selectors(_ port: Int) -> [TraceSelector] {
        [try! TraceSelector(expression: "udp dport \(port)"), try! TraceSelector(expression: "udp sport \(port)")]
    }

    @Test func manyFlowsWithinAnIntervalAreOneApplyWithTheNewest() {
        var b = SelectorBatch(capacity: 16, interval: 0.1)
        #expect(b.due(now: 10) == nil, "nothing to apply")
        b.add(flowID: 0, selectors: Self.selectors(10000))
        #expect(b.due(now: 10) == Self.selectors(10000))
        b.markApplied(now: 10)
        // 3,000 new flows over the next 90 ms, the loop's turn asking after each, then past 100 ms.
        var applies: [[TraceSelector]] = []
        func turn(_ now: Double) {
            if let s = b.due(now: now) {
                applies.append(s)
                b.markApplied(now: now)
            }
        }
        for i in 1...3000 {
            b.add(flowID: i, selectors: Self.selectors(10000 + i))
            turn(10 + Double(i) * 0.09 / 3000)
        }
        #expect(applies.isEmpty, "held back until the interval is over")
        turn(10.125)
        turn(10.15)
        turn(11)
        #expect(applies.count == 1)
        #expect(applies.first == (2985...3000).flatMap { Self.selectors(10000 + $0) })
        #expect(b.wanted.map(\.flowID) == Array(2985...3000))
        #expect(!b.hasPending)
        #expect(b.isApplied(3000) && !b.isApplied(2984))
    }

    @Test func appliesAtMostOncePerIntervalAndOnlyWhenChanged() {
        var b = SelectorBatch(capacity: 4, interval: 0.1)
        b.add(flowID: 1, selectors: Self.selectors(1))
        // The first apply is not held back.
        #expect(b.due(now: 5) == Self.selectors(1))
        b.markApplied(now: 5)
        // A new flow 50 ms later waits for the interval.
        b.add(flowID: 2, selectors: Self.selectors(2))
        #expect(b.due(now: 5.05) == nil)
        #expect(b.isWanted(2) && !b.isApplied(2))
        #expect(b.due(now: 5.125) == Self.selectors(1) + Self.selectors(2))
        b.markApplied(now: 5.125)
        // Nothing changed: nothing to apply, however long it has been.
        #expect(b.due(now: 9) == nil)
        // A flow already wanted changes nothing.
        let addedAgain = b.add(flowID: 2, selectors: Self.selectors(2))
        #expect(!addedAgain)
        #expect(b.due(now: 9) == nil)
        // Evicting the oldest is a change too.
        for id in 3...5 { b.add(flowID: id, selectors: Self.selectors(id)) }
        #expect(b.wanted.map(\.flowID) == [2, 3, 4, 5])
        #expect(b.due(now: 9) == [2, 3, 4, 5].flatMap(Self.selectors))
    }

    @Test func aFailedApplyDropsThePendingFlowsAndDoesNotRetry() {
        var b = SelectorBatch(capacity: 4, interval: 0.1)
        b.add(flowID: 1, selectors: Self.selectors(1))
        b.markApplied(now: 1)
        b.add(flowID: 2, selectors: Self.selectors(2))
        #expect(b.due(now: 2) != nil)
        b.discardPending(now: 2)
        #expect(b.wanted.map(\.flowID) == [1])
        #expect(b.due(now: 2.2) == nil, "no nft every turn for a failure")
        b.add(flowID: 3, selectors: Self.selectors(3))
        #expect(b.due(now: 2.2) == Self.selectors(1) + Self.selectors(3))
        b.add(flowID: 4, selectors: Self.selectors(4))
        b.discardPending(now: 2.2)
        b.add(flowID: 5, selectors: Self.selectors(5))
        #expect(b.due(now: 2.25) == nil, "the failed apply counts for the interval")
        b.reset()
        #expect(b.wanted.isEmpty && b.applied.isEmpty && b.due(now: 9) == nil)
    }
}
