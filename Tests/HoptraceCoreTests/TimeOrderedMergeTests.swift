import Testing
@testable import HoptraceCore

/// The loop's merge of per-point batches into one time order.
struct TimeOrderedMergeTests {
    typealias Merge = TimeOrderedMerge<(name: String, t: Int64)>
    func merge(_ streams: Int) -> Merge { Merge(streams: streams) { $0.t } }

    func drain(_ m: inout Merge, more: [Bool]) -> [String] {
        var out: [String] = []
        m.release(mayHaveMore: more) { _, item in
            out.append(item.name)
            return true
        }
        return out
    }

    @Test func interleavesStreamsByTimeLowerStreamFirstOnTies() {
        var m = merge(3)
        for (s, t, n) in [(0, 10, "a10"), (0, 30, "a30"), (1, 20, "b20"), (1, 30, "b30"), (2, 5, "c5")] {
            m.add((n, Int64(t)), stream: s)
        }
        #expect(drain(&m, more: [false, false, false]) == ["c5", "a10", "b20", "a30", "b30"])
        #expect(m.heldCount == 0)
    }

    @Test func aStreamAddedLaterJoinsTheTimeOrder() {
        var m = merge(1)
        m.add(("a10", 10), stream: 0)
        m.addStream()
        #expect(m.streams == 2)
        m.add(("b5", 5), stream: 1)
        m.add(("a20", 20), stream: 0)
        #expect(drain(&m, more: [false, false]) == ["b5", "a10", "a20"])
    }

    @Test func aStreamThatMayHaveMoreHoldsBackWhatItCouldStillOvertake() {
        var m = merge(2)
        // Stream 0 was cut short at t=20: its next packets may be older than stream 1's 25 and 40.
        m.add(("a10", 10), stream: 0)
        m.add(("a20", 20), stream: 0)
        m.add(("b15", 15), stream: 1)
        m.add(("b25", 25), stream: 1)
        m.add(("b40", 40), stream: 1)
        #expect(drain(&m, more: [true, false]) == ["a10", "b15", "a20"])
        #expect(m.heldCount(1) == 2)
        // Read again: stream 0's rest arrives and everything can go.
        m.add(("a22", 22), stream: 0)
        #expect(drain(&m, more: [false, false]) == ["a22", "b25", "b40"])
    }

    @Test func stoppingEarlyKeepsTheRestHeld() {
        var m = merge(1)
        for t in 1...5 { m.add(("p\(t)", Int64(t)), stream: 0) }
        var got: [String] = []
        // false: not taken; it stays held with the rest.
        let n = m.release(mayHaveMore: [false]) { _, item in
            guard got.count < 2 else { return false }
            got.append(item.name)
            return true
        }
        #expect(got == ["p1", "p2"] && n == 2)
        #expect(m.heldCount == 3)
        var rest: [String] = []
        m.releaseAll { _, item in
            rest.append(item.name)
            return true
        }
        #expect(rest == ["p3", "p4", "p5"])
    }

    /// A clock stepping back within a behind stream must not stall the merge: the
    /// watermark is the newest time the stream has had, and its first item is below it.
    @Test func aClockSteppingBackDoesNotStallTheMerge() {
        var m = merge(2)
        m.add(("a100", 100), stream: 0)
        m.add(("a5", 5), stream: 0)  // the clock stepped back
        m.add(("b110", 110), stream: 1)
        m.add(("b6", 6), stream: 1)
        let out = drain(&m, more: [true, true])
        #expect(out.first == "a100")
        #expect(!out.isEmpty)
    }

    @Test func theCapHoldsBackWhatIsTooRecent() {
        var m = merge(2)
        m.add(("a10", 10), stream: 0)
        m.add(("a50", 50), stream: 0)
        m.add(("b20", 20), stream: 1)
        var out: [String] = []
        m.release(mayHaveMore: [false, false], cap: 30) { _, item in
            out.append(item.name)
            return true
        }
        #expect(out == ["a10", "b20"] && m.heldCount == 1)
    }

    @Test func aRemovedStreamHandsOnWhatItHeldAndLaterStreamsMoveDown() {
        var m = merge(3)
        m.add(("a1", 1), stream: 0)
        m.add(("b2", 2), stream: 1)
        m.add(("c3", 3), stream: 2)
        var fromRemoved: [(Int, String)] = []
        m.remove(stream: 1) { i, item in
            fromRemoved.append((i, item.name))
            return true
        }
        #expect(fromRemoved.map(\.1) == ["b2"] && fromRemoved.map(\.0) == [1])
        #expect(m.streams == 2)
        var order: [(Int, String)] = []
        m.releaseAll { i, item in
            order.append((i, item.name))
            return true
        }
        #expect(order.map(\.1) == ["a1", "c3"] && order.map(\.0) == [0, 1])
    }
}
