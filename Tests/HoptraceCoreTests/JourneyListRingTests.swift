@testable import HoptraceCore
import Testing

/// The journey list's ring on its own (`JourneyListTests` shows it through the correlator).
struct JourneyListRingTests {
    static func journey(_ id: Int, at micros: Int64) -> Journey {
        let t = EventTime(micros: 1_795_438_391_000_000 + micros)
        return Journey(id: id, leg: .request, hops: [], path: [], verdict: Verdict(.inFlight, at: nil, reason: ""), settled: false,
                       icmpSeq: nil, icmpError: nil, firstTime: t, lastTime: t,
                       signature: JourneySignature(packet: Lab.udp(Lab.ns1IP, 1, Lab.remoteIP, 2, ipid: UInt16(truncatingIfNeeded: id), dir: .outbound), leg: .request))
    }

    /// Random inserts (mostly newest, some out of order), changes in place and copies, against
    /// an Array doing the same: the ring's wrap, growth and copy-on-write keep the same list.
    @Test func theRingAgreesWithAnArrayModel() {
        var list: JourneyList = []
        var model: [Journey] = []
        var state: UInt64 = 7
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        var copies: [(JourneyList, [Int])] = []
        for id in 1...3000 {
            let bound = 32
            // Mostly later than all held; now and then earlier (a batch from another point).
            let at = Int64(id) * 10 - (next(10) == 0 ? Int64(next(300)) : 0)
            let j = Self.journey(id, at: at)
            let where_ = list.insert(j, bound: bound)
            var i = model.count
            while i > 0 && model[i - 1].firstTime > j.firstTime { i -= 1 }
            model.insert(j, at: i)
            var expected: Int? = i
            while model.count > bound {
                model.removeFirst()
                expected = expected.map { $0 - 1 }.flatMap { $0 >= 0 ? $0 : nil }
            }
            #expect(where_ == expected, "insert \(id)")
            if next(5) == 0, !model.isEmpty {
                let k = next(model.count)
                list[k].settled = true
                model[k].settled = true
            }
            if next(50) == 0 { copies.append((list, model.map(\.id))) }
            #expect(list.map(\.id) == model.map(\.id) && list.map(\.settled) == model.map(\.settled), "after \(id)")
            if list.map(\.id) != model.map(\.id) { return }
        }
        // Copies taken along the way were not changed by what came after them.
        for (copy, ids) in copies { #expect(copy.map(\.id) == ids) }
    }

    /// With the buffer object's header, a ring of one journey fits 120 bytes: malloc's 128 size.
    @Test func aRingOfOneJourneyFitsMallocsSmallerSize() {
        #expect(MemoryLayout<Journey>.stride == 96)
        #expect(MemoryLayout<JourneyStorage.Header>.stride <= 8)
    }

    /// A journey's flags share a byte, and its leg and error type and code are its signature's:
    /// each reads back as set, changed one at a time, the leg's flip included.
    @Test func aJourneysPackedFieldsReadBack() {
        let p = Lab.udp(Lab.ns1IP, 1, Lab.remoteIP, 2, ipid: 9, dir: .outbound)
        var j = Self.journey(1, at: 0)
        #expect(j.leg == .request && !j.settled && !j.indexed && j.icmpError == nil && j.icmpSeq == nil)
        j.settled = true
        #expect(j.settled && !j.indexed)
        j.indexed = true
        j.settled = false
        #expect(!j.settled && j.indexed)
        j.leg = .reply
        #expect(j.leg == .reply && j.signature.leg == .reply && j.indexed)
        // An error journey: the signature of an ICMP error carries type 3, code 13.
        var sig = JourneySignature(packet: p, leg: .error)
        sig.a = 3 << 8 | 13
        let e = Journey(id: 2, leg: .error, hops: [], path: [], verdict: Verdict(.inFlight, at: nil, reason: ""), settled: true,
                        icmpSeq: 7, icmpError: (3, 13), firstTime: j.firstTime, lastTime: j.lastTime, signature: sig)
        #expect(e.leg == .error && e.settled && !e.indexed && e.icmpSeq == 7)
        #expect(e.icmpError?.type == 3 && e.icmpError?.code == 13)
        // The leg given wins over the signature's.
        let r = Journey(id: 3, leg: .reply, hops: [], path: [], verdict: Verdict(.inFlight, at: nil, reason: ""), settled: false,
                        icmpSeq: nil, icmpError: nil, firstTime: j.firstTime, lastTime: j.lastTime,
                        signature: JourneySignature(packet: p, leg: .request))
        #expect(r.leg == .reply && r.signature.leg == .reply && r.icmpError == nil)
    }

    /// The header's three 21-bit fields, at their largest and changed one at a time.
    @Test func theHeadersFieldsKeepToTheirBits() {
        let top = JourneyStorage.Header.limit - 1
        var h = JourneyStorage.Header(count: top, head: top, capacity: top)
        #expect(h.count == top && h.head == top && h.capacity == top)
        h.count = 0
        #expect(h.count == 0 && h.head == top && h.capacity == top)
        h.head = 1
        h.count = top
        #expect(h.count == top && h.head == 1 && h.capacity == top)
        h.head = top
        #expect(h.count == top && h.head == top && h.capacity == top)
        let small = JourneyStorage.Header(count: 1, head: 0, capacity: 2)
        #expect(small.count == 1 && small.head == 0 && small.capacity == 2)
    }

    /// A list held once is changed where it lies: inserting into a full ring and changing a
    /// journey keep its buffer. A copy shares the buffer until either changes.

    @Test func aListHeldOnceIsChangedInPlace() {
        var list: JourneyList = []
        for id in 1...40 { _ = list.insert(Self.journey(id, at: Int64(id)), bound: 32) }
        let buffer = list.bufferIdentity
        _ = list.insert(Self.journey(41, at: 41), bound: 32)
        list[3].settled = true
        #expect(list.bufferIdentity == buffer)
        let copy = list
        list[4].settled = true
        #expect(list.bufferIdentity != buffer && copy.bufferIdentity == buffer)
        #expect(!copy[4].settled && list[4].settled)
    }
}
