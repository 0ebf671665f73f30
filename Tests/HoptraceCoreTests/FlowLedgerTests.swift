import Testing
@testable import HoptraceCore

/// A flow's conntrack records and NAT rewrites share one buffer: each must still read and
/// change like an Array of its own, bounded, and a copy must never see another's changes.
@Suite struct FlowLedgerTests {
    typealias L = Lab
    let t0 = Lab.packedTime, v6a = Lab.v6a, v6b = Lab.v6b

    /// Record `n`: IPv4 or IPv6, with counters now and then (both kept behind a reference).
    func record(_ n: Int) -> Flow.ConntrackRecord {
        let v6 = n % 3 == 0
        let (s, d) = v6 ? (v6a, v6b) : (L.ip(L.ns1IP), L.ip(L.remoteIP))
        var e = ConntrackEvent(kind: n % 2 == 0 ? .new : .update, proto: 17,
                               orig: .init(src: s, dst: d, sport: UInt16(n % 60000), dport: 53),
                               reply: .init(src: d, dst: s, sport: 53, dport: UInt16(n % 60000)), status: UInt32(n % 64), id: UInt32(n))
        if n % 4 == 1 { e.counters = .init(origPackets: UInt64(n), origBytes: 1, replyPackets: 2, replyBytes: 3) }
        return Flow.ConntrackRecord(time: t0.adding(micros: Int64(n)), event: e)
    }

    func rewrite(_ n: Int) -> NATRewrite {
        n % 2 == 0 ? NATRewrite(kind: .snat, field: .src, from: L.ns1IP, to: L.hostIP, between: n % 4 == 0 ? (L.docker1, L.enX0) : nil)
            : NATRewrite(kind: .dnat, field: .dport, from: .number(UInt16(n % 60000)), to: .number(8080))
    }

    /// One record and two rewrites fit malloc's 160-byte size: header 16 after the object's 16.
    @Test func sizes() {
        #expect(MemoryLayout<LedgerStorage.Header>.stride == 16)
        #expect(MemoryLayout<Flow.ConntrackRecord>.stride == 72 && MemoryLayout<NATRewrite>.stride == 24)
        #expect(MemoryLayout<FlowLedger>.size == 8)
    }

    /// Random appends, updates and forgetting, through the flow, against two Arrays doing the
    /// same; copies taken along the way keep what they had.
    @Test(arguments: [1, 2, 16])
    func theLedgerAgreesWithTwoArrays(bound: Int) {
        var rng = SplitMix64(seed: 0x5EED_0001)
        var f = Flow(id: 1, proto: 17, echo: false, orig: FlowKey(proto: 17, src: L.ip(L.ns1IP), dst: L.ip(L.remoteIP), sport: 1, dport: 2), time: t0)
        var records: [Flow.ConntrackRecord] = [], rewrites: [NATRewrite] = []
        var copies: [(Flow, [ConntrackEvent], [NATRewrite])] = []
        for n in 0..<600 {
            switch Int.random(in: 0..<8, using: &rng) {
            case 0, 1, 2:
                f.appendEvent(record(n), keepingLast: bound)
                records.append(record(n))
                if records.count > bound { records.removeFirst(records.count - bound) }
            case 3, 4:
                f.appendNAT(rewrite(n))
                rewrites.append(rewrite(n))
            case 5 where !rewrites.isEmpty:
                let k = Int.random(in: 0..<rewrites.count, using: &rng)
                f.updateNAT(k) { $0.until = t0.adding(micros: Int64(n)) }
                rewrites[k].until = t0.adding(micros: Int64(n))
            case 6 where Int.random(in: 0..<10, using: &rng) == 0:
                f.forgetNAT()
                rewrites = []
            case 7 where Int.random(in: 0..<10, using: &rng) == 0:
                let kept = Array(records.suffix(bound / 2))
                f.setEvents(kept)
                records = kept
            default:
                copies.append((f, records.map(\.event), rewrites))
            }
            #expect(f.events.map(\.event) == records.map(\.event) && f.events.map(\.time) == records.map(\.time), "after \(n)")
            #expect(f.nat == rewrites, "after \(n)")
        }
        for (copy, events, nat) in copies {
            #expect(copy.events.map(\.event) == events && copy.nat == nat)
        }
    }

    /// Held once, a ledger with room is changed where it lies; shared, it is copied first.
    @Test func aLedgerHeldOnceIsChangedInPlace() {
        var f = Flow(id: 1, proto: 17, echo: false, orig: FlowKey(proto: 17, src: L.ip(L.ns1IP), dst: L.ip(L.remoteIP), sport: 1, dport: 2), time: t0)
        for n in 0..<4 { f.appendEvent(record(n), keepingLast: 4) }
        f.appendNAT(rewrite(0))
        f.appendNAT(rewrite(1))
        let buffer = f.ledgerIdentity
        f.appendEvent(record(9), keepingLast: 4)  // full: the oldest goes, nothing grows
        f.updateNAT(1) { $0.until = t0 }
        #expect(f.ledgerIdentity == buffer)
        let copy = f
        f.updateNAT(0) { $0.until = t0 }
        #expect(f.ledgerIdentity != buffer && copy.ledgerIdentity == buffer)
        #expect(copy.nat[0].until == nil && f.nat[0].until == t0)
        #expect(f.events.map(\.event.id) == [1, 2, 3, 9] && copy.events.map(\.event.id) == [1, 2, 3, 9])
    }
}
