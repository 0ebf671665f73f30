import Testing
import HoptraceCore

/// Memory stays flat and flows end when they should.
@Suite struct CorrelatorBoundsTests {
    typealias L = Lab

    @Test func aFloodOfNewFlowsStaysWithinMaxFlows() {
        let c = Correlator(paths: UnknownPaths(), lossTimeout: 1.0, maxFlows: 1000)
        let t0 = EventTime(seconds: 1_795_438_391, micros: 0)
        var created = 0, evicted = 0
        var worst = c.sizes
        for i in 0..<200_000 {
            let src = IPAddress.v4(IPv4Address(0x0A00_0000 | UInt32(i)))
            let p = DecodedPacket(direction: .inbound, etherType: 0x0800, src: src, dst: L.ip(L.remoteIP), ipID: 1,
                                  ttl: 64, length: 40, transport: .udp(sport: UInt16(truncatingIfNeeded: i), dport: 53))
            for ch in c.ingest(packet: p, at: L.enX0, time: EventTime(micros: t0.micros + Int64(i))) {
                if ch.kind == .created { created += 1 }
                if ch.kind == .ended && ch.what.contains(.evicted) { evicted += 1 }
            }
            if i % 10_000 == 0 {
                let s = c.sizes
                worst.keyIndex = max(worst.keyIndex, s.keyIndex)
                worst.deadlines = max(worst.deadlines, s.deadlines)
                worst.lru = max(worst.lru, s.lru)
                worst.flows = max(worst.flows, s.flows)
            }
        }
        #expect(c.stats.live == 1000)
        #expect(c.stats.created == 200_000 && created == 200_000)
        #expect(c.stats.evicted == 199_000 && evicted == 199_000)
        let s = c.sizes
        #expect(s.flows == 1000 && s.lru == 1000)
        #expect(s.keyIndex <= 4 * 1000)
        #expect(worst.flows <= 1000 && worst.lru <= 1000 && worst.keyIndex <= 4000)
        // The timer heap is compacted: at most twice its live entries plus a constant.
        #expect(worst.deadlines <= 2 * 1000 + 4097 && s.deadlines <= 2 * 1000 + 4097)
        // The oldest flows went first.
        #expect(c.flow(1) == nil && c.flow(200_000) != nil)
    }

    @Test func aBusyFlowKeepsFewJourneysAndEvents() {
        let run = Run()
        run.ct(L.pingEntry(.new), 0)
        for seq in 1...100 {
            run.request(seq: UInt16(seq), at: Double(seq) * 1000)
            run.reply(seq: UInt16(seq), at: Double(seq) * 1000 + 0.5)
            run.ct(L.pingEntry(.update, replied: true), Double(seq) * 1000 + 0.6)
            run.advance(Double(seq) * 1000 + 900)
        }
        let f = run.onlyFlow
        #expect(f?.journeys.count == 32)
        #expect(f?.events.count == 16)
        #expect(run.c.sizes.maxJourneyIndex <= 32)
        #expect(f?.journeys.last?.icmpSeq == 100)
        #expect(run.c.sizes.deadlines <= 2)
        #expect(f?.verdict.state == .replied)
    }

    @Test func aLeastRecentlyUsedFlowIsEvictedFirst() {
        let run = Run(maxFlows: 2)
        run.request(seq: 1, at: 0, id: 1, until: L.ns1)
        run.request(seq: 1, at: 1, id: 2, until: L.ns1)
        run.request(seq: 2, at: 2, id: 1, until: L.ns1)  // flow 1 used again
        run.request(seq: 1, at: 3, id: 3, until: L.ns1)
        #expect(run.c.flow(1) != nil && run.c.flow(2) == nil && run.c.flow(3) != nil)
        #expect(run.c.stats.evicted == 1)
        #expect(run.changes.contains { $0.kind == .ended && $0.flowID == 2 && $0.what.contains(.evicted) })
    }

    @Test func conntrackDestroyEndsTheFlowAndTheTupleStartsAfresh() throws {
        let run = Run()
        run.request(seq: 1, at: 0)
        run.ct(L.pingEntry(.new), 0.3)
        run.reply(seq: 1, at: 0.4)
        run.ct(L.pingEntry(.destroy, replied: true), 30_000)
        let end = try #require(run.changes.last)
        #expect(end.kind == .ended && end.flowID == 1 && end.what.contains(.destroyed))
        #expect(end.flow.ended)
        #expect(run.c.flow(1)?.events.map(\.event.kind) == [.new, .destroy])
        #expect(run.c.flowID(for: FlowKey(proto: 1, src: L.ip(L.ns1IP), dst: L.ip(L.remoteIP), sport: 27, dport: 27)) == nil)
        run.request(seq: 1, at: 31_000, until: L.ns1)
        #expect(run.changes.last?.kind == .created)
        #expect(run.changes.last?.flowID != 1)
    }
}
