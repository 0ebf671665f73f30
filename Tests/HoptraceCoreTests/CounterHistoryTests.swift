import Testing
@testable import HoptraceCore

/// The drop counters kept per namespace over the last minutes (issue 17): what moved over a
/// window, which samples bound it, the bound on memory, a clock step, and namespaces kept apart.
/// Samples are built by hand; expected deltas are worked out from them here, not read off the
/// implementation.
@Suite struct CounterHistoryTests {
    /// `s` seconds after the epoch.
    static func t(_ s: Int64) -> EventTime { EventTime(micros: s * 1_000_000) }
    static func sample(_ values: [String: UInt64]) -> KernelCounters { KernelCounters(values: values) }

    // MARK: - What a delta holds

    @Test func deltaHoldsOnlyTheCountersThatMoved() {
        var h = CounterHistory()
        h.record(Self.sample([
            "Ip.InAddrErrors": 5, "TcpExt.IPReversePathFilter": 2, "Ip.InReceives": 100, "IpExt.InNoRoutes": 0,
        ]), netns: "hthost", at: Self.t(10))
        h.record(Self.sample([
            "Ip.InAddrErrors": 8, "TcpExt.IPReversePathFilter": 2, "Ip.InReceives": 130, "IpExt.InNoRoutes": 0,
        ]), netns: "hthost", at: Self.t(11))
        #expect(h.delta(in: "hthost", from: Self.t(10)) == ["Ip.InAddrErrors": 3, "Ip.InReceives": 30])
    }

    @Test func onlyCountersWithAMeaningAreKept() {
        // Ip.InDelivers, Udp.InErrors and TcpExt.SyncookiesSent are real counters that explain no drop.
        #expect(KernelCounters.meaning(of: "Ip.InDelivers") == nil)
        #expect(KernelCounters.meaning(of: "Udp.InErrors") == nil)
        #expect(KernelCounters.meaning(of: "TcpExt.SyncookiesSent") == nil)
        var h = CounterHistory()
        h.record(Self.sample([
            "Ip.InDelivers": 10, "Udp.InErrors": 0, "TcpExt.SyncookiesSent": 1, "IpExt.InNoRoutes": 4,
        ]), netns: "hthost", at: Self.t(10))
        h.record(Self.sample([
            "Ip.InDelivers": 50, "Udp.InErrors": 7, "TcpExt.SyncookiesSent": 9, "IpExt.InNoRoutes": 6,
        ]), netns: "hthost", at: Self.t(11))
        #expect(h.delta(in: "hthost", from: Self.t(10)) == ["IpExt.InNoRoutes": 2])
    }

    @Test func aCounterAbsentAtEitherEndIsLeftOut() {
        var h = CounterHistory()
        // IcmpMsg columns appear only once something was counted; conntrack's file may go.
        h.record(Self.sample(["Ip.InAddrErrors": 1, "nf_conntrack.drop": 2]), netns: "hthost", at: Self.t(10))
        h.record(Self.sample(["Ip.InAddrErrors": 2, "IcmpMsg.OutType3": 4]), netns: "hthost", at: Self.t(11))
        #expect(h.delta(in: "hthost", from: Self.t(10)) == ["Ip.InAddrErrors": 1])
    }

    @Test func aCounterGoingDownGivesANegativeDelta() {
        var h = CounterHistory()
        h.record(Self.sample(["nf_conntrack.count": 10, "Ip.InAddrErrors": 9]), netns: "hthost", at: Self.t(10))
        h.record(Self.sample(["nf_conntrack.count": 7, "Ip.InAddrErrors": 4]), netns: "hthost", at: Self.t(11))
        // The signed difference, for a level and for a count alike (unlike KernelCounters.delta(since:)).
        #expect(h.delta(in: "hthost", from: Self.t(10)) == ["nf_conntrack.count": -3, "Ip.InAddrErrors": -5])
    }

    @Test func deltasPastInt64ClampInsteadOfTrapping() {
        var h = CounterHistory()
        h.record(Self.sample(["Ip.InAddrErrors": 0, "Ip.InReceives": UInt64.max]), netns: "hthost", at: Self.t(10))
        h.record(Self.sample(["Ip.InAddrErrors": UInt64.max, "Ip.InReceives": 0]), netns: "hthost", at: Self.t(11))
        #expect(h.delta(in: "hthost", from: Self.t(10)) == ["Ip.InAddrErrors": Int64.max, "Ip.InReceives": -Int64.max])
    }

    // MARK: - Which samples bound the window

    /// Ip.InAddrErrors 1, 2, 4, 8 at 10 s, 20 s, 30 s, 40 s.
    static func fourSamples(netns: String? = "hthost") -> CounterHistory {
        var h = CounterHistory()
        for (s, v) in [(10, 1), (20, 2), (30, 4), (40, 8)] as [(Int64, UInt64)] {
            h.record(sample(["Ip.InAddrErrors": v]), netns: netns, at: t(s))
        }
        return h
    }

    @Test func fromTheLastSampleAtOrBeforeFromToTheNewest() {
        let h = Self.fourSamples()
        #expect(h.count(in: "hthost") == 4)
        #expect(h.delta(in: "hthost", from: Self.t(10)) == ["Ip.InAddrErrors": 7])
        #expect(h.delta(in: "hthost", from: Self.t(20)) == ["Ip.InAddrErrors": 6], "a sample exactly at from starts the window")
        #expect(h.delta(in: "hthost", from: Self.t(25)) == ["Ip.InAddrErrors": 6], "the last sample before from starts it")
        #expect(h.delta(in: "hthost", from: EventTime(micros: Self.t(30).micros - 1)) == ["Ip.InAddrErrors": 6])
        #expect(h.delta(in: "hthost", from: Self.t(30)) == ["Ip.InAddrErrors": 4])
    }

    @Test func nilWhenNoSampleIsThatOld() {
        let h = Self.fourSamples()
        #expect(h.delta(in: "hthost", from: Self.t(9)) == nil)
        #expect(h.delta(in: "hthost", from: EventTime(micros: Self.t(10).micros - 1)) == nil)
    }

    @Test func nilForANamespaceNeverSampled() {
        let h = Self.fourSamples()
        #expect(h.delta(in: "htkR", from: Self.t(40)) == nil)
        #expect(h.delta(in: nil, from: Self.t(40)) == nil)
        #expect(h.count(in: "htkR") == 0)
        #expect(CounterHistory().delta(in: "hthost", from: Self.t(40)) == nil)
        #expect(CounterHistory().count(in: nil) == 0)
    }

    @Test func samplesAtTheSameTimeAreKeptAndTheLastOfThemStartsTheWindow() {
        var h = CounterHistory()
        h.record(Self.sample(["Ip.InAddrErrors": 2]), netns: "hthost", at: Self.t(20))
        h.record(Self.sample(["Ip.InAddrErrors": 3]), netns: "hthost", at: Self.t(20))
        h.record(Self.sample(["Ip.InAddrErrors": 5]), netns: "hthost", at: Self.t(30))
        #expect(h.count(in: "hthost") == 3, "an equal time is not out of order")
        #expect(h.delta(in: "hthost", from: Self.t(20)) == ["Ip.InAddrErrors": 2])
    }

    // MARK: - Capacity

    @Test func aRunOfEqualSamplesKeepsItsEndsSoIdleTimeKeepsOlderChanges() {
        var h = CounterHistory()
        h.record(Self.sample(["Ip.InAddrErrors": 1]), netns: "hthost", at: Self.t(0))
        for i in 1...1000 { h.record(Self.sample(["Ip.InAddrErrors": 2]), netns: "hthost", at: Self.t(Int64(i))) }
        #expect(h.count(in: "hthost") == 3, "the change at 0 s, the first and the last of the run")
        #expect(h.delta(in: "hthost", from: Self.t(0)) == ["Ip.InAddrErrors": 1])
        // Starting inside the run: nothing moved since (its first sample is at or before the start).
        #expect(h.delta(in: "hthost", from: Self.t(500)) == [:])
        h.record(Self.sample(["Ip.InAddrErrors": 7]), netns: "hthost", at: Self.t(1001))
        #expect(h.delta(in: "hthost", from: Self.t(500)) == ["Ip.InAddrErrors": 5])
    }

    @Test func twoHundredFiftySixSamplesAreAllKept() {
        var h = CounterHistory()
        for i in 0..<256 { h.record(Self.sample(["Ip.InAddrErrors": UInt64(i)]), netns: "hthost", at: Self.t(Int64(i))) }
        #expect(h.count(in: "hthost") == 256)
        #expect(h.delta(in: "hthost", from: Self.t(0)) == ["Ip.InAddrErrors": 255])
    }

    @Test func the257thSampleDropsTheOldest() {
        var h = CounterHistory()
        for i in 0...256 { h.record(Self.sample(["Ip.InAddrErrors": UInt64(i)]), netns: "hthost", at: Self.t(Int64(i))) }
        #expect(h.count(in: "hthost") == 256)
        // The sample at 0 s is gone: a window from before 1 s cannot be measured any more.
        #expect(h.delta(in: "hthost", from: Self.t(0)) == nil)
        #expect(h.delta(in: "hthost", from: EventTime(micros: Self.t(1).micros - 1)) == nil)
        #expect(h.delta(in: "hthost", from: Self.t(1)) == ["Ip.InAddrErrors": 255])
        #expect(h.delta(in: "hthost", from: Self.t(255)) == ["Ip.InAddrErrors": 1])
    }

    @Test func manyMoreSamplesStillKeepTheNewest256() {
        var h = CounterHistory()
        for i in 0..<1000 { h.record(Self.sample(["Ip.InAddrErrors": UInt64(i)]), netns: "hthost", at: Self.t(Int64(i))) }
        #expect(h.count(in: "hthost") == 256)
        #expect(h.delta(in: "hthost", from: Self.t(743)) == nil)
        #expect(h.delta(in: "hthost", from: Self.t(744)) == ["Ip.InAddrErrors": 255])
    }

    // MARK: - A clock step

    @Test func aSampleOutOfOrderRestartsTheList() {
        var h = Self.fourSamples()
        // The clock stepped back to 15 s: what was held before can no longer be placed.
        h.record(Self.sample(["Ip.InAddrErrors": 20]), netns: "hthost", at: Self.t(15))
        #expect(h.count(in: "hthost") == 1)
        #expect(h.delta(in: "hthost", from: Self.t(10)) == nil)
        #expect(h.delta(in: "hthost", from: Self.t(14)) == nil)
        h.record(Self.sample(["Ip.InAddrErrors": 23]), netns: "hthost", at: Self.t(16))
        #expect(h.count(in: "hthost") == 2)
        #expect(h.delta(in: "hthost", from: Self.t(15)) == ["Ip.InAddrErrors": 3])
    }

    // MARK: - Namespaces

    @Test func namespacesAreKeptApartAndNilIsOneOfThem() {
        var h = CounterHistory()
        h.record(Self.sample(["Ip.InAddrErrors": 1, "IpExt.InNoRoutes": 1]), netns: nil, at: Self.t(10))
        h.record(Self.sample(["Ip.InAddrErrors": 100, "IpExt.InNoRoutes": 1]), netns: "hthost", at: Self.t(10))
        h.record(Self.sample(["Ip.InAddrErrors": 1, "IpExt.InNoRoutes": 5]), netns: nil, at: Self.t(11))
        h.record(Self.sample(["Ip.InAddrErrors": 103, "IpExt.InNoRoutes": 1]), netns: "hthost", at: Self.t(11))
        h.record(Self.sample(["Ip.InAddrErrors": 110, "IpExt.InNoRoutes": 1]), netns: "hthost", at: Self.t(12))
        #expect(h.count(in: nil) == 2)
        #expect(h.count(in: "hthost") == 3)
        #expect(h.delta(in: nil, from: Self.t(10)) == ["IpExt.InNoRoutes": 4])
        #expect(h.delta(in: "hthost", from: Self.t(10)) == ["Ip.InAddrErrors": 10])
        #expect(h.delta(in: "hthost", from: Self.t(11)) == ["Ip.InAddrErrors": 7])
    }

    @Test func aClockStepInOneNamespaceLeavesTheOthersAlone() {
        var h = Self.fourSamples(netns: nil)
        for (s, v) in [(10, 0), (20, 1)] as [(Int64, UInt64)] {
            h.record(Self.sample(["Ip.InAddrErrors": v]), netns: "hthost", at: Self.t(s))
        }
        h.record(Self.sample(["Ip.InAddrErrors": 1]), netns: "hthost", at: Self.t(5))
        #expect(h.count(in: "hthost") == 1)
        #expect(h.count(in: nil) == 4)
        #expect(h.delta(in: nil, from: Self.t(10)) == ["Ip.InAddrErrors": 7])
    }

    @Test func eachNamespaceHasItsOwnCapacity() {
        var h = CounterHistory()
        h.record(Self.sample(["Ip.InAddrErrors": 0]), netns: nil, at: Self.t(0))
        for i in 0...300 { h.record(Self.sample(["Ip.InAddrErrors": UInt64(i)]), netns: "hthost", at: Self.t(Int64(i))) }
        h.record(Self.sample(["Ip.InAddrErrors": 2]), netns: nil, at: Self.t(301))
        #expect(h.count(in: "hthost") == 256)
        #expect(h.count(in: nil) == 2)
        #expect(h.delta(in: nil, from: Self.t(0)) == ["Ip.InAddrErrors": 2])
    }
}
