import Testing
import HoptraceCore

/// The correlator's building blocks, and the contract its caller relies on.
@Suite struct CorrelatorPartsTests {
    typealias L = Lab

    @Test func echoRequestAndReplyShareKeysAfterReversal() throws {
        let request = try #require(FlowKey(packet: L.echo(L.ns1IP, L.remoteIP, id: 27, seq: 1, ipid: 1, dir: .outbound)))
        let reply = try #require(FlowKey(packet: L.echo(L.remoteIP, L.ns1IP, reply: true, id: 27, seq: 1, ipid: 9, dir: .inbound)))
        #expect(request.reversed() == reply)
        #expect(request == FlowKey(tuple: L.icmpTuple(L.ns1IP, L.remoteIP, type: 8, id: 27), proto: 1))
        #expect(reply == FlowKey(tuple: L.icmpTuple(L.remoteIP, L.ns1IP, type: 0, id: 27), proto: 1))
        let udp = try #require(FlowKey(packet: L.udp(L.ns1IP, 5353, L.remoteIP, 53, ipid: 1, dir: .outbound)))
        #expect(udp == FlowKey(tuple: L.portTuple(L.ns1IP, 5353, L.remoteIP, 53), proto: 17))
        #expect(udp == FlowKey(quoted: .init(src: L.ip(L.ns1IP), dst: L.ip(L.remoteIP), proto: 17, sport: 5353, dport: 53)))
        #expect(udp.reversed().sport == 53 && udp.reversed().src == L.ip(L.remoteIP))
        let arp = DecodedPacket(direction: .host, etherType: 0x0806, length: 28)
        #expect(FlowKey(packet: arp) == nil)
    }

    @Test func subnetsContainTheirAddressesOnly() throws {
        let n = try #require(IPPrefix(parsing: "172.18.0.7/24"))
        #expect(n.description == "172.18.0.0/24")
        #expect(n.contains(L.ip("172.18.0.255")) && !n.contains(L.ip("172.18.1.0")))
        #expect(IPPrefix(parsing: "0.0.0.0/0")?.contains(L.ip("8.8.8.8")) == true)
        #expect(IPPrefix(parsing: "10.0.0.1/33") == nil && IPPrefix(parsing: "10.0.0/8") == nil)
        #expect(!n.contains(.v6(IPv6Address(high: 0, low: 1))))
    }

    @Test func staticPathsChooseLikeARoutingTable() {
        // Request out of ns1: the /20 route; a reply to the SNAT address: the /32 back to ns1.
        #expect(L.paths.expectedPath(firstSeen: L.docker1, dst: L.ip(L.remoteIP), translatedDst: nil) == [L.docker1, L.enX0, L.remote])
        #expect(L.paths.expectedPath(firstSeen: L.remote, dst: L.ip(L.hostIP), translatedDst: nil)
            == [L.remote, L.enX0, L.docker1, L.veth1, L.ns1])
        // conntrack's translated destination wins: ns0's reply goes to ns0.
        #expect(L.paths.expectedPath(firstSeen: L.enX0, dst: L.ip(L.hostIP), translatedDst: L.ip(L.ns0IP))
            == [L.enX0, L.docker1, L.veth0, L.ns0])
        #expect(L.paths.expectedPath(firstSeen: CapturePoint(netns: nil, iface: "lo"), dst: L.ip(L.remoteIP), translatedDst: nil)
            == [CapturePoint(netns: nil, iface: "lo")])
        #expect(UnknownPaths().expectedPath(firstSeen: L.ns1, dst: L.ip(L.remoteIP), translatedDst: nil) == [L.ns1])
        #expect(!UnknownPaths().knowsPaths && L.paths.knowsPaths)
        #expect(UnknownPaths().egressInfo(for: L.enX0) == nil)
    }

    @Test func eventTimeSplitsIntoSecondsAndMicros() {
        let t = EventTime(seconds: 1_795_438_391, micros: 21755)
        #expect(t.seconds == 1_795_438_391 && t.microsOfSecond == 21755)
        #expect(t.description == "2026-11-23T12:53:11.021755Z")
        #expect(EventTime(micros: -1).seconds == -1 && EventTime(micros: -1).microsOfSecond == 999_999)
        #expect(t.adding(seconds: 1.5).micros(since: t) == 1_500_000)
        #expect(t < .distantFuture)
    }

    @Test func changesComeOnlyWhenSomethingAUserSeesChanged() throws {
        let run = Run()
        run.request(seq: 1, at: 0, until: L.ns1)
        #expect(run.changes.map(\.kind) == [.created])
        #expect(run.changes[0].flow.journeys.count == 1)
        run.changes = []
        // A further hop of the same packet changes neither verdict nor NAT.
        run.see(L.echo(L.ns1IP, L.remoteIP, id: 27, seq: 1, ipid: 1001, dir: .other), at: L.veth1, 0.05)
        #expect(run.changes.isEmpty)
        run.ct(L.pingEntry(.new), 0.1)
        let ch = try #require(run.changes.first)
        #expect(ch.kind == .updated && ch.what.contains(.conntrack) && ch.what.contains(.nat))
        #expect(ch.flow.nat.first?.between == nil)
        run.changes = []
        run.see(L.echo(L.ns1IP, L.remoteIP, id: 27, seq: 1, ipid: 1001, dir: .inbound), at: L.docker1, 0.1)
        run.see(L.echo(L.hostIP, L.remoteIP, id: 27, seq: 1, ipid: 1001, ttl: 63, dir: .outbound), at: L.enX0, 0.15)
        #expect(run.changes.count == 1 && run.changes[0].what == [.nat])
        #expect(run.changes[0].flow.nat.first?.between?.0 == L.docker1)
    }

    @Test func laterFragmentsAndARPAreCountedNotFollowed() {
        let c = Correlator(paths: L.paths)
        var frag = L.udp(L.ns1IP, 1, L.remoteIP, 2, ipid: 5, dir: .outbound)
        frag.transport = .other(proto: 17)
        frag.fragment = .init(offset: 1480, more: false)
        #expect(c.ingest(packet: frag, at: L.ns1, time: EventTime(micros: 0)).isEmpty)
        #expect(c.ingest(packet: DecodedPacket(direction: .host, etherType: 0x0806, length: 28), at: L.ns1,
                         time: EventTime(micros: 0)).isEmpty)
        #expect(c.stats.fragments == 1 && c.stats.ignored == 1 && c.stats.live == 0)
    }

    @Test func s5ABridgedPacketLostBetweenPortsMentionsBridgeNfCallIptables() throws {
        let run = Run()
        run.see(L.echo(L.ns1IP, L.ns0IP, id: 3, seq: 1, ipid: 40, dir: .outbound), at: L.ns1, 0)
        run.see(L.echo(L.ns1IP, L.ns0IP, id: 3, seq: 1, ipid: 40, dir: .other), at: L.veth1, 0.05)
        run.advance(2000)
        let f = try #require(run.onlyFlow)
        #expect(f.verdict.reason == "vanished after hthost:veth1, before hthost:veth0")
        #expect(f.verdict.hint?.contains("net.bridge.bridge-nf-call-iptables=1") == true)
        #expect(f.verdict.fix == "ip netns exec hthost iptables -A FORWARD -i docker1 -o docker1 -j ACCEPT")
        // And the same packet getting through is delivered to ns0.
        let ok = Run()
        for (i, point) in [L.ns1, L.veth1, L.veth0, L.ns0].enumerated() {
            ok.see(L.echo(L.ns1IP, L.ns0IP, id: 3, seq: 1, ipid: 40, dir: .other), at: point, Double(i) * 0.05)
        }
        #expect(ok.onlyFlow?.verdict.state == .delivered)
        #expect(ok.onlyFlow?.verdict.reason == "delivered to htns0:eth0 in 4 hops, awaiting reply")
    }
}

/// A flow's bounded journey list: time order, the oldest dropped, out-of-order arrivals placed.
struct JourneyListTests {
    @Test func aJourneyStartedOutOfOrderIsPlacedOnItsPathToo() throws {
        let run = Run()
        // seq 2 is read first (its point's batch came first), then seq 1, which started earlier, at veth1 only.
        run.see(Lab.echo(Lab.ns1IP, Lab.remoteIP, id: 27, seq: 2, ipid: 1002, dir: .outbound), at: Lab.ns1, 10)
        run.see(Lab.echo(Lab.ns1IP, Lab.remoteIP, id: 27, seq: 1, ipid: 1001, dir: .other), at: Lab.veth1, 5)
        let f = try #require(run.onlyFlow)
        #expect(f.journeys.map(\.icmpSeq) == [1, 2])
        // Arranged like any other: its path is known, so it is in flight towards docker1.
        #expect(f.journeys[0].path == [Lab.veth1, Lab.docker1, Lab.enX0, Lab.remote])
        #expect(f.journeys[0].verdict.state == .inFlight && f.journeys[0].verdict.at == Lab.veth1)
    }

    @Test func aFullListDropsTheOldestAndKeepsTimeOrderAcrossTheWrap() throws {
        let run = Run()
        // 40 packets, one point each: the list keeps the last 32, oldest first.
        for seq in 1...40 { run.see(Lab.echo(Lab.ns1IP, Lab.remoteIP, id: 27, seq: UInt16(seq), ipid: UInt16(seq), dir: .outbound), at: Lab.ns1, Double(seq)) }
        // One that started between 35 and 36 arrives late: it goes in the middle, the oldest goes.
        run.see(Lab.echo(Lab.ns1IP, Lab.remoteIP, id: 27, seq: 99, ipid: 99, dir: .other), at: Lab.veth1, 35.5)
        let f = try #require(run.onlyFlow)
        #expect(f.journeys.count == 32)
        #expect(f.journeys.map(\.icmpSeq) == (10...35).map { UInt16($0) } + [99] + (36...40).map { UInt16($0) })
        #expect(zip(f.journeys.dropLast(), f.journeys.dropFirst()).allSatisfy { $0.firstTime <= $1.firstTime })
    }
}
