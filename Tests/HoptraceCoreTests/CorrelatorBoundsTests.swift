import Testing
import HoptraceCore

/// Memory stays flat and flows end when they should.
@Suite struct CorrelatorBoundsTests {
    typealias L = Lab

    @Test func aFloodOfNewFlowsStaysWithinMaxFlows() {
        let c = Correlator(paths: L.paths, lossTimeout: 1.0, maxFlows: 1000)
        let t0 = EventTime(seconds: 1_795_438_391, micros: 0)
        var created = 0, evicted = 0
        var worst = c.sizes
        for i in 0..<200_000 {
            let dst = IPAddress.v4(IPv4Address(0x0A00_0000 | UInt32(i)))
            let p = DecodedPacket(direction: .inbound, etherType: 0x0800, src: L.ip(L.hostIP), dst: dst, ipID: 1,
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
                worst.pathCache = max(worst.pathCache, s.pathCache)
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
        #expect(worst.pathCache <= 4096 && worst.pathCache > 0)
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

    /// Counts how often the topology is asked.
    final class CountingPaths: HopPathProvider {
        var calls = 0
        func expectedPath(firstSeen: CapturePoint, dst: IPAddress, translatedDst: IPAddress?) -> [CapturePoint] {
            calls += 1
            return Lab.paths.expectedPath(firstSeen: firstSeen, dst: dst, translatedDst: translatedDst)
        }
    }

    @Test func theTopologyIsAskedOncePerPlaceAndDestination() {
        let paths = CountingPaths()
        let c = Correlator(paths: paths)
        for seq in 1...50 {
            for point in [L.ns1, L.veth1, L.docker1] {
                _ = c.ingest(packet: L.echo(L.ns1IP, L.remoteIP, id: 27, seq: UInt16(seq), ipid: UInt16(seq), dir: .outbound),
                             at: point, time: EventTime(seconds: seq, micros: 0))
            }
        }
        // The first sighting (ns1) covers the others, so only its path is ever needed.
        #expect(paths.calls == 1)
        c.topologyChanged()
        _ = c.ingest(packet: L.echo(L.ns1IP, L.remoteIP, id: 27, seq: 99, ipid: 99, dir: .outbound), at: L.ns1,
                     time: EventTime(seconds: 99, micros: 0))
        #expect(paths.calls == 2)
    }

    @Test func verdictsDoNotDependOnHowOftenTheClockAdvances() throws {
        func s4(step: Double) throws -> Flow {
            let run = Run()
            run.request(seq: 1, at: 0)
            run.ct(L.pingEntry(.new), 0.3)
            run.reply(seq: 1, at: 0.4, until: L.enX0)
            var t = 0.0
            while t < 3000 {
                t += step
                run.advance(t)
            }
            return try #require(run.onlyFlow)
        }
        let coarse = try s4(step: 3000), fine = try s4(step: 7)
        #expect(coarse.verdict == fine.verdict)
        #expect(fine.verdict.reason == "reply vanished after hthost:enX0, before hthost:docker1")
    }

    @Test func anUpdateForAnUnknownEntryMakesAConntrackOnlyFlow() throws {
        let run = Run()
        run.ct(L.pingEntry(.existing), 0)
        #expect(run.onlyFlow?.verdict.reason == "conntrack entry only: no packet seen yet")
        run.ct(L.pingEntry(.update, replied: true), 10)
        let f = try #require(run.onlyFlow)
        #expect(f.verdict.state == .replied)
        #expect(f.verdict.reason == "conntrack saw a reply (not captured at a watched point)")
        #expect(f.events.map(\.event.kind) == [.existing, .update])
        #expect(f.nat == [NATRewrite(kind: .snat, field: .src, from: L.ns1IP, to: L.hostIP)])
    }
}
