import Testing
@testable import HoptraceCore

/// NAT rewrites learnt from conntrack's tuples and from one packet seen either side of a
/// rewrite, and a rewrite seen stopping and resuming — on a flow value, no correlator.
@Suite struct NATLearnerTests {
    typealias L = Lab
    let t0 = EventTime(seconds: 1_795_438_391, micros: 0)
    /// ns1 pinging remote with echo id 27.
    let pingKey = FlowKey(proto: 1, src: Lab.ip(Lab.ns1IP), dst: Lab.ip(Lab.remoteIP), sport: 27, dport: 27)

    func time(_ ms: Double) -> EventTime { t0.adding(seconds: ms / 1000) }

    func flow(_ orig: FlowKey) -> Flow { Flow(id: 1, proto: orig.proto, echo: false, orig: orig, time: t0) }

    /// One packet's sightings, in path order, as the correlator would have placed them.
    func journey(id: Int, leg: Journey.Leg = .request, _ hops: [Hop], path: [CapturePoint]) -> Journey {
        Journey(id: id, leg: leg, hops: HopList(hops), path: path, verdict: Verdict(.inFlight, at: hops[0].point, reason: ""),
                settled: false, icmpSeq: nil, icmpError: nil, firstTime: hops[0].time, lastTime: hops[hops.count - 1].time,
                signature: JourneySignature(packet: L.udp(L.ns1IP, 1, L.remoteIP, 2, ipid: UInt16(id), dir: .outbound), leg: leg))
    }

    /// ns1's echo request leaving through MASQUERADE between docker1 and enX0 (or, `snat: false`, without it).
    func pingCrossing(_ id: Int, at ms: Double, snat: Bool) -> Journey {
        journey(id: id, [
            Hop(point: L.docker1, dir: .inbound, time: time(ms), src: L.ip(L.ns1IP), dst: L.ip(L.remoteIP), icmpID: 27),
            Hop(point: L.enX0, dir: .outbound, time: time(ms + 0.05), src: L.ip(snat ? L.hostIP : L.ns1IP),
                dst: L.ip(L.remoteIP), icmpID: 27),
        ], path: [L.docker1, L.enX0, L.remote])
    }

    @Test func conntrackTuplesShowAnSNATButNotWhereUntilAPacketDoes() {
        var f = flow(pingKey)
        // MASQUERADE also remapped the echo id: 27 leaves as 28.
        let entry = L.pingEntry(.new, replyID: 28)
        let learnt = NATLearner.learn(fromConntrack: entry, in: &f)
        #expect(learnt)
        #expect(f.nat == [NATRewrite(kind: .snat, field: .src, from: L.ns1IP, to: L.hostIP),
                          NATRewrite(kind: .snat, field: .id, from: "27", to: "28")])
        // The same entry again (an update) teaches nothing.
        let again = NATLearner.learn(fromConntrack: entry, in: &f)
        #expect(!again)
        // A packet seen either side of the rewrite places it; the id it does not show stays unplaced.
        f.journeys = [pingCrossing(1, at: 0, snat: true)]
        let placed = NATLearner.learn(journey: 0, knowsPaths: true, in: &f)
        #expect(placed)
        #expect(f.nat == [NATRewrite(kind: .snat, field: .src, from: L.ns1IP, to: L.hostIP, between: (L.docker1, L.enX0)),
                          NATRewrite(kind: .snat, field: .id, from: "27", to: "28")])
    }

    @Test func aDNATWithAPortRemapIsLearntFromTheTuplesAndPlacedByAPacket() {
        let published = L.portTuple(L.remoteIP, 40000, L.hostIP, 8080), served = L.portTuple(L.ns0IP, 80, L.remoteIP, 40000)
        var f = flow(FlowKey(tuple: published, proto: 6))
        let learnt = NATLearner.learn(fromConntrack: ConntrackEvent(kind: .new, proto: 6, orig: published, reply: served, status: []), in: &f)
        #expect(learnt)
        #expect(f.nat == [NATRewrite(kind: .dnat, field: .dst, from: L.hostIP, to: L.ns0IP),
                          NATRewrite(kind: .dnat, field: .dport, from: "8080", to: "80")])
        // The request seen on the uplink and again past the DNAT, on the bridge.
        let request = journey(id: 1, [
            Hop(point: L.enX0, dir: .inbound, time: time(0), src: L.ip(L.remoteIP), dst: L.ip(L.hostIP), sport: 40000, dport: 8080),
            Hop(point: L.docker1, dir: .outbound, time: time(0.05), src: L.ip(L.remoteIP), dst: L.ip(L.ns0IP), sport: 40000, dport: 80),
        ], path: [L.enX0, L.docker1, L.veth0, L.ns0])
        // Its answer undoes the same rewrites the other way: nothing new.
        let reply = journey(id: 2, leg: .reply, [
            Hop(point: L.docker1, dir: .inbound, time: time(0.2), src: L.ip(L.ns0IP), dst: L.ip(L.remoteIP), sport: 80, dport: 40000),
            Hop(point: L.enX0, dir: .outbound, time: time(0.25), src: L.ip(L.hostIP), dst: L.ip(L.remoteIP), sport: 8080, dport: 40000),
        ], path: [L.docker1, L.enX0, L.remote])
        f.journeys = [request, reply]
        let placed = NATLearner.learn(journey: 0, knowsPaths: true, in: &f)
        #expect(placed)
        let placedNAT = [NATRewrite(kind: .dnat, field: .dst, from: L.hostIP, to: L.ns0IP, between: (L.enX0, L.docker1)),
                         NATRewrite(kind: .dnat, field: .dport, from: "8080", to: "80", between: (L.enX0, L.docker1))]
        #expect(f.nat == placedNAT)
        let fromReply = NATLearner.learn(journey: 1, knowsPaths: true, in: &f)
        #expect(!fromReply)
        #expect(f.nat == placedNAT)
    }

    @Test func aRewriteStopsWhenAPacketCrossesItsPlaceUntranslatedAndResumesWhenSeenAgain() {
        var f = flow(pingKey)
        f.journeys = [pingCrossing(1, at: 0, snat: true), pingCrossing(2, at: 1000, snat: false),
                      pingCrossing(3, at: 2000, snat: true), pingCrossing(4, at: 3000, snat: true)]
        let first = NATLearner.learn(journey: 0, knowsPaths: true, in: &f)
        #expect(first)
        #expect(f.nat.count == 1 && f.nat[0].until == nil)
        // MASQUERADE removed: the next packet leaves enX0 with its private source.
        let stopped = NATLearner.learn(journey: 1, knowsPaths: true, in: &f)
        #expect(stopped)
        // Stopped from that packet's sighting past the rewrite's place.
        #expect(f.nat.count == 1 && f.nat[0].until == f.journeys[1].hops[1].time)
        #expect(f.natStopped)
        // And back: the rewrite applies again.
        let resumed = NATLearner.learn(journey: 2, knowsPaths: true, in: &f)
        #expect(resumed)
        #expect(f.nat == [NATRewrite(kind: .snat, field: .src, from: L.ns1IP, to: L.hostIP, between: (L.docker1, L.enX0))])
        #expect(!f.natStopped)
        // Seen once more, it changes nothing.
        let same = NATLearner.learn(journey: 3, knowsPaths: true, in: &f)
        #expect(!same)
    }

    @Test func onlyNeighboursOnThePathPlaceARewrite() {
        // docker1, then remote: enX0 between them was not seen, so where the rewrite happened is unknown.
        let skipping = journey(id: 1, [
            Hop(point: L.docker1, dir: .inbound, time: time(0), src: L.ip(L.ns1IP), dst: L.ip(L.remoteIP), icmpID: 27),
            Hop(point: L.remote, dir: .inbound, time: time(0.1), src: L.ip(L.hostIP), dst: L.ip(L.remoteIP), icmpID: 27),
        ], path: [L.docker1, L.enX0, L.remote])
        var f = flow(pingKey)
        f.journeys = [skipping]
        let onPath = NATLearner.learn(journey: 0, knowsPaths: true, in: &f)
        #expect(!onPath && f.nat.isEmpty)
        // Without a topology, consecutive sightings are neighbours.
        let inOrder = NATLearner.learn(journey: 0, knowsPaths: false, in: &f)
        #expect(inOrder)
        #expect(f.nat == [NATRewrite(kind: .snat, field: .src, from: L.ns1IP, to: L.hostIP, between: (L.docker1, L.remote))])
    }

    @Test func forgettingClearsWhatWasLearnt() {
        var f = flow(pingKey)
        f.journeys = [pingCrossing(1, at: 0, snat: true)]
        _ = NATLearner.learn(journey: 0, knowsPaths: true, in: &f)
        NATLearner.forget(in: &f)
        #expect(f.nat.isEmpty)
        // Learnt afresh from the same packet.
        let relearnt = NATLearner.learn(journey: 0, knowsPaths: true, in: &f)
        #expect(relearnt && f.nat.count == 1)
    }
}
