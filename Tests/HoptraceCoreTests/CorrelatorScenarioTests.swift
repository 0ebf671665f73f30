import Testing
import HoptraceCore

/// The scenarios of shared/SCENARIOS.md as the correlator must report them.
@Suite struct CorrelatorScenarioTests {
    typealias L = Lab

    /// S2's ping as a live run ingests it (see `Run.s2Ping`).
    @Test func s2SnatPingIsOneFlowWithNATBetweenDocker1AndEnX0() throws {
        let run = Run()
        run.s2Ping()

        #expect(run.c.stats.live == 1)
        let f = try #require(run.onlyFlow)
        #expect(f.orig == FlowKey(proto: 1, src: L.ip(L.ns1IP), dst: L.ip(L.remoteIP), sport: 27, dport: 27))
        #expect(f.nat == [NATRewrite(kind: .snat, field: .src, from: L.ns1IP, to: L.hostIP, between: (L.docker1, L.enX0))])
        let legs = f.journeys.map(\.leg)
        #expect(legs == [.request, .reply])
        #expect(f.journeys[0].hops.map(\.point) == [L.ns1, L.veth1, L.docker1, L.enX0, L.remote])
        #expect(f.journeys[1].hops.map(\.point) == [L.remote, L.enX0, L.docker1, L.veth1, L.ns1])
        #expect(f.journeys[0].hops.dropFirst().allSatisfy { $0.deltaMicros == 50 })
        #expect(f.verdict.state == .replied)
        #expect(f.verdict.at == L.ns1)
        #expect(f.events.map(\.event.kind) == [.new, .update])
        #expect(f.requestPackets == 5 && f.replyPackets == 5)
    }

    @Test func packetsBeforeNewAreMergedIntoTheConntrackFlow() throws {
        let run = Run()
        run.request(seq: 1, at: 0)
        // Before NEW: ns1's side and the NATed uplink side are two provisional flows.
        #expect(run.c.stats.live == 2)
        let uplink = try #require(run.c.flowID(for: FlowKey(proto: 1, src: L.ip(L.hostIP), dst: L.ip(L.remoteIP), sport: 27, dport: 27)))
        run.ct(L.pingEntry(.new), 0.3)
        #expect(run.c.stats.live == 1)
        #expect(run.c.stats.merged == 1)
        let merged = try #require(run.changes.first { $0.kind == .ended && $0.flowID == uplink })
        #expect(merged.mergedInto == 1 && merged.what.contains(.merged))
        let f = try #require(run.c.flow(1))
        #expect(f.journeys.count == 1)
        #expect(f.journeys[0].hops.map(\.point) == [L.ns1, L.veth1, L.docker1, L.enX0, L.remote])
        #expect(f.journeys[0].verdict.state == .delivered)
    }

    @Test func aProvisionalFlowStartedByTheReplyIsTurnedRound() throws {
        let run = Run()
        // Only the reply on the uplink is ingested before NEW (the request's handles lag).
        run.reply(seq: 1, at: 0.3, until: L.enX0)
        run.ct(L.pingEntry(.new), 0.4)
        let f = try #require(run.onlyFlow)
        #expect(f.orig.src == L.ip(L.ns1IP))
        #expect(f.journeys.map(\.leg) == [.reply])
        #expect(f.replyPackets == 2 && f.requestPackets == 0)
        run.request(seq: 1, at: 0)
        for (i, point) in [L.docker1, L.veth1, L.ns1].enumerated() {
            run.see(L.echo(L.remoteIP, L.ns1IP, reply: true, id: 27, seq: 1, ipid: 5001, ttl: 63, dir: .outbound), at: point,
                    0.4 + Double(i) * 0.05)
        }
        let g = try #require(run.onlyFlow)
        #expect(g.journeys.map(\.leg) == [.request, .reply])
        #expect(g.journeys[1].hops.map(\.point) == [L.remote, L.enX0, L.docker1, L.veth1, L.ns1])
        #expect(g.verdict.state == .replied)
    }

    @Test func s7DnatIsOneTCPFlowWithDNATBetweenEnX0AndDocker1() throws {
        let run = Run()
        let r = L.remoteIP, h = L.hostIP, c = L.ns1IP
        // SYN: remote → 172.31.39.53:80, DNAT to 172.18.0.3:80 in hthost.
        run.see(L.tcp(r, 47814, h, 80, flags: 0x02, seq: 100, ipid: 1, dir: .outbound), at: L.remote, 0)
        run.see(L.tcp(r, 47814, h, 80, flags: 0x02, seq: 100, ipid: 1, dir: .inbound), at: L.enX0, 0.05)
        run.see(L.tcp(r, 47814, c, 80, flags: 0x02, seq: 100, ipid: 1, ttl: 63, dir: .outbound), at: L.docker1, 0.1)
        run.see(L.tcp(r, 47814, c, 80, flags: 0x02, seq: 100, ipid: 1, ttl: 63, dir: .other), at: L.veth1, 0.15)
        run.see(L.tcp(r, 47814, c, 80, flags: 0x02, seq: 100, ipid: 1, ttl: 63, dir: .inbound), at: L.ns1, 0.2)
        run.ct(ConntrackEvent(kind: .new, proto: 6, orig: L.portTuple(r, 47814, h, 80), reply: L.portTuple(c, 80, r, 47814),
                              status: L.confirmed | L.dstNAT, tcpState: 1, timeout: 120, id: 9), 0.12)
        // SYN-ACK back, un-DNATed between docker1 and enX0.
        run.see(L.tcp(c, 80, r, 47814, flags: 0x12, seq: 900, ack: 101, ipid: 0, dir: .outbound), at: L.ns1, 0.3)
        run.see(L.tcp(c, 80, r, 47814, flags: 0x12, seq: 900, ack: 101, ipid: 0, dir: .other), at: L.veth1, 0.35)
        run.see(L.tcp(c, 80, r, 47814, flags: 0x12, seq: 900, ack: 101, ipid: 0, dir: .inbound), at: L.docker1, 0.4)
        run.see(L.tcp(h, 80, r, 47814, flags: 0x12, seq: 900, ack: 101, ipid: 0, ttl: 63, dir: .outbound), at: L.enX0, 0.45)
        run.see(L.tcp(h, 80, r, 47814, flags: 0x12, seq: 900, ack: 101, ipid: 0, ttl: 63, dir: .inbound), at: L.remote, 0.5)
        run.ct(ConntrackEvent(kind: .update, proto: 6, orig: L.portTuple(r, 47814, h, 80), reply: L.portTuple(c, 80, r, 47814),
                              status: L.confirmed | L.dstNAT | L.seenReply, tcpState: 2, timeout: 60, id: 9), 0.46)
        // ACK.
        run.see(L.tcp(r, 47814, h, 80, flags: 0x10, seq: 101, ack: 901, ipid: 2, dir: .outbound), at: L.remote, 0.6)
        run.see(L.tcp(r, 47814, h, 80, flags: 0x10, seq: 101, ack: 901, ipid: 2, dir: .inbound), at: L.enX0, 0.65)
        run.see(L.tcp(r, 47814, c, 80, flags: 0x10, seq: 101, ack: 901, ipid: 2, ttl: 63, dir: .outbound), at: L.docker1, 0.7)
        run.see(L.tcp(r, 47814, c, 80, flags: 0x10, seq: 101, ack: 901, ipid: 2, ttl: 63, dir: .other), at: L.veth1, 0.75)
        run.see(L.tcp(r, 47814, c, 80, flags: 0x10, seq: 101, ack: 901, ipid: 2, ttl: 63, dir: .inbound), at: L.ns1, 0.8)
        run.ct(ConntrackEvent(kind: .update, proto: 6, orig: L.portTuple(r, 47814, h, 80), reply: L.portTuple(c, 80, r, 47814),
                              status: L.confirmed | L.dstNAT | L.seenReply | 1 << 2, tcpState: 3, timeout: 432000, id: 9), 0.71)
        run.advance(5000)

        let f = try #require(run.onlyFlow)
        #expect(f.proto == 6)
        #expect(f.nat == [NATRewrite(kind: .dnat, field: .dst, from: h, to: c, between: (L.enX0, L.docker1))])
        let inbound = [L.remote, L.enX0, L.docker1, L.veth1, L.ns1]
        #expect(f.journeys.map(\.leg) == [.request, .reply, .request])
        #expect(f.journeys[0].hops.map(\.point) == inbound)
        #expect(f.journeys[1].hops.map(\.point) == inbound.reversed())
        #expect(f.journeys[2].hops.map(\.point) == inbound)
        #expect(f.journeys.allSatisfy { $0.verdict.state == .delivered })
        #expect(f.verdict.state == .replied)
        #expect(f.conntrackState == "ESTABLISHED")
        #expect(f.conntrackStatus.contains(.dstNAT))
    }

    @Test func masqueradeSourcePortRemapIsRecordedWithTheAddress() throws {
        let run = Run()
        let c = L.ns1IP, h = L.hostIP, r = L.remoteIP
        run.see(L.tcp(c, 40000, r, 80, flags: 0x02, seq: 7, ipid: 3, dir: .outbound), at: L.ns1, 0)
        run.see(L.tcp(c, 40000, r, 80, flags: 0x02, seq: 7, ipid: 3, dir: .other), at: L.veth1, 0.05)
        run.see(L.tcp(c, 40000, r, 80, flags: 0x02, seq: 7, ipid: 3, dir: .inbound), at: L.docker1, 0.1)
        run.see(L.tcp(h, 40001, r, 80, flags: 0x02, seq: 7, ipid: 3, ttl: 63, dir: .outbound), at: L.enX0, 0.15)
        run.ct(ConntrackEvent(kind: .new, proto: 6, orig: L.portTuple(c, 40000, r, 80), reply: L.portTuple(r, 80, h, 40001),
                              status: L.confirmed | L.srcNAT, tcpState: 1, id: 4), 0.2)
        run.see(L.tcp(h, 40001, r, 80, flags: 0x02, seq: 7, ipid: 3, ttl: 63, dir: .inbound), at: L.remote, 0.2)
        let f = try #require(run.onlyFlow)
        #expect(f.nat == [
            NATRewrite(kind: .snat, field: .src, from: c, to: h, between: (L.docker1, L.enX0)),
            NATRewrite(kind: .snat, field: .sport, from: "40000", to: "40001", between: (L.docker1, L.enX0)),
        ])
        #expect(f.journeys.count == 1)
        #expect(f.journeys[0].hops.map(\.point) == [L.ns1, L.veth1, L.docker1, L.enX0, L.remote])
    }

    @Test func twoContainersPingingWithTheSameICMPIdAreTwoFlows() throws {
        let run = Run()
        let ns0Hops = [L.ns0, L.veth0, L.docker1, L.enX0, L.remote]
        run.request(seq: 1, at: 0)
        run.request(seq: 1, at: 0.01, idOut: 28, from: L.ns0IP, hops: ns0Hops)
        run.ct(L.pingEntry(.new), 0.3)
        run.ct(L.pingEntry(.new, from: L.ns0IP, replyID: 28), 0.31)
        run.reply(seq: 1, at: 0.4)
        run.reply(seq: 1, at: 0.41, idOut: 28, to: L.ns0IP, hops: ns0Hops.reversed())
        run.advance(3000)

        #expect(run.c.stats.live == 2)
        let flows = run.c.allFlows
        let one = try #require(flows.first { $0.orig.src == L.ip(L.ns1IP) })
        let zero = try #require(flows.first { $0.orig.src == L.ip(L.ns0IP) })
        #expect(one.journeys.last?.hops.last?.point == L.ns1)
        #expect(zero.journeys.last?.hops.last?.point == L.ns0)
        #expect(one.verdict.state == .replied && zero.verdict.state == .replied)
        #expect(zero.nat.contains(NATRewrite(kind: .snat, field: .id, from: "27", to: "28", between: (L.docker1, L.enX0))))
        #expect(!one.nat.contains { $0.field == "id" })
        #expect(one.requestPackets == 5 && zero.requestPackets == 5)
    }

    @Test func anICMPPortUnreachableJoinsTheFlowItQuotes() throws {
        let run = Run()
        let c = L.ns1IP, h = L.hostIP, r = L.remoteIP
        run.see(L.udp(c, 5353, r, 9999, ipid: 11, dir: .outbound), at: L.ns1, 0)
        run.see(L.udp(c, 5353, r, 9999, ipid: 11, dir: .inbound), at: L.docker1, 0.1)
        run.see(L.udp(h, 5353, r, 9999, ipid: 11, ttl: 63, dir: .outbound), at: L.enX0, 0.15)
        run.ct(ConntrackEvent(kind: .new, proto: 17, orig: L.portTuple(c, 5353, r, 9999), reply: L.portTuple(r, 9999, h, 5353),
                              status: L.confirmed | L.srcNAT, id: 5), 0.16)
        run.see(L.udp(h, 5353, r, 9999, ipid: 11, ttl: 63, dir: .inbound), at: L.remote, 0.2)
        func unreachable(_ dst: String, quotedSrc: String, dir: PacketDirection, ttl: UInt8 = 64) -> DecodedPacket {
            var p = DecodedPacket(direction: dir, etherType: 0x0800, src: L.ip(r), dst: L.ip(dst), ipID: 77, ttl: ttl,
                                  length: 68, transport: .icmp(type: 3, code: 3, id: nil, seq: nil))
            p.quoted = .init(src: L.ip(quotedSrc), dst: L.ip(r), proto: 17, ipID: 11, sport: 5353, dport: 9999)
            return p
        }
        run.see(unreachable(h, quotedSrc: h, dir: .outbound), at: L.remote, 0.3)
        run.see(unreachable(h, quotedSrc: h, dir: .inbound), at: L.enX0, 0.35)
        run.see(unreachable(c, quotedSrc: c, dir: .outbound, ttl: 63), at: L.docker1, 0.4)
        run.see(unreachable(c, quotedSrc: c, dir: .inbound, ttl: 63), at: L.ns1, 0.5)

        let f = try #require(run.onlyFlow)
        #expect(f.relatedPackets == 4)
        let errors = f.journeys.filter { $0.leg == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.hops.map(\.point) == [L.remote, L.enX0, L.docker1, L.ns1])
        #expect(f.verdict.state == .icmpError)
        #expect(f.verdict.reason == "ICMP port unreachable from 172.31.45.174, seen at htns1:eth0")
        #expect(f.lastError?.type == 3 && f.lastError?.code == 3)
    }

    @Test func aTimeExceededFromTheHostJoinsThePingFlow() throws {
        let run = Run()
        run.request(seq: 1, at: 0, until: L.docker1)
        var p = DecodedPacket(direction: .inbound, etherType: 0x0800, src: L.ip("172.18.0.1"), dst: L.ip(L.ns1IP), ipID: 9,
                              ttl: 64, length: 112, transport: .icmp(type: 11, code: 0, id: nil, seq: nil))
        p.quoted = .init(src: L.ip(L.ns1IP), dst: L.ip(L.remoteIP), proto: 1, ipID: 1001, icmpID: 27, icmpSeq: 1)
        run.see(p, at: L.ns1, 0.3)
        let f = try #require(run.onlyFlow)
        #expect(f.relatedPackets == 1 && f.requestPackets == 3)
        #expect(f.verdict.state == .icmpError)
        #expect(f.verdict.reason.hasPrefix("ICMP TTL exceeded in transit from 172.18.0.1"))
    }

    @Test func s3RequestVanishesAfterDocker1BeforeEnX0() throws {
        let run = Run()
        run.request(seq: 1, at: 0, until: L.docker1)
        run.advance(500)
        #expect(run.onlyFlow?.verdict.state == .inFlight)
        run.advance(1200)
        let f = try #require(run.onlyFlow)
        #expect(f.verdict.state == .vanished)
        #expect(f.verdict.reason == "vanished after hthost:docker1, before hthost:enX0")
        #expect(f.verdict.at == L.docker1)
        #expect(f.verdict.hint == "lost inside hthost while forwarding from docker1 to enX0")
        #expect(run.changes.contains { $0.kind == .updated && $0.what.contains(.verdict) && $0.flow.verdict.state == .vanished })
    }

    /// A packet missing at a point whose capture was dropping packets then is a gap in
    /// the capture, not a drop: `uncaptured`, and it does not decide the flow's verdict.
    @Test func aJourneyMissingWhereTheCaptureDroppedPacketsIsUncapturedNotVanished() throws {
        let run = Run()
        run.request(seq: 1, at: 0)
        run.ct(L.pingEntry(.new), 0.1)
        run.reply(seq: 1, at: 0.3)
        run.advance(1500)
        #expect(run.onlyFlow?.verdict.state == .replied)
        // seq 2 is last seen at docker1 at 2000 ms; enX0's capture dropped packets from 1990 to 2040 ms.
        run.request(seq: 2, at: 1999.9, until: L.docker1)
        run.c.captureLost(at: L.enX0, dropped: 120, from: run.time(1990), to: run.time(2040))
        run.advance(3500)
        let f = try #require(run.onlyFlow)
        let j = try #require(f.journeys.last)
        #expect(j.verdict.state == .uncaptured)
        #expect(j.verdict.reason == "not captured at hthost:enX0: hoptrace's capture there dropped 120 packets around then")
        #expect(f.verdict.state == .replied)
        #expect(!run.changes.contains { $0.flow.verdict.state == .vanished })
        // The same loss elsewhere in time, or at another point, excuses nothing.
        run.request(seq: 3, at: 6000, until: L.docker1)
        run.advance(7500)
        #expect(run.onlyFlow?.verdict.state == .vanished)
        #expect(run.onlyFlow?.verdict.reason == "vanished after hthost:docker1, before hthost:enX0")
    }

    @Test func s4ReplyVanishesAfterEnX0BeforeDocker1() throws {
        let run = Run()
        run.request(seq: 1, at: 0)
        run.ct(L.pingEntry(.new), 0.3)
        run.reply(seq: 1, at: 0.4, until: L.enX0)
        run.advance(3000)
        let f = try #require(run.onlyFlow)
        #expect(f.verdict.state == .vanished)
        #expect(f.verdict.reason == "reply vanished after hthost:enX0, before hthost:docker1")
        #expect(f.verdict.at == L.enX0)
        #expect(f.verdict.fix == "ip netns exec hthost iptables -A FORWARD -o docker1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
        #expect(f.verdict.hint?.contains("RELATED,ESTABLISHED") == true)
    }

    @Test func s1UnrepliedWithAnUntranslatedPrivateSourceSaysAddMasquerade() throws {
        let run = Run()
        run.request(seq: 1, at: 0, snat: false)
        run.ct(L.pingEntry(.new, snat: false), 0.2)
        run.advance(900)
        #expect(run.onlyFlow?.verdict.state == .delivered)
        run.advance(1300)
        let f = try #require(run.onlyFlow)
        #expect(f.nat.isEmpty)
        #expect(f.verdict.state == .unreplied)
        #expect(f.verdict.reason == "left hthost:enX0 with untranslated private source 172.18.0.3; no reply within 1 s")
        #expect(f.verdict.hint == "no SNAT: replies cannot come back; add MASQUERADE for 172.18.0.0/24 on enX0")
        #expect(f.verdict.fix == "ip netns exec hthost iptables -t nat -A POSTROUTING -s 172.18.0.0/24 '!' -o docker1 -j MASQUERADE")
    }

    /// Router solicitations and MLD reports go to multicast groups: nobody owes them a
    /// reply, so they are delivered, never "unreplied" (which would paint them red).
    @Test func multicastIsDeliveredNeverUnreplied() throws {
        // Each packet ends where it was seen (a path of its own point): delivered, then judged.
        let run = Run(paths: StaticPaths([.init([L.ns1])]))
        let rs = DecodedPacket(direction: .outbound, etherType: 0x86DD, src: .v6(IPv6Address("fe80::1")!), dst: .v6(IPv6Address("ff02::2")!),
                               ttl: 255, length: 56, transport: .icmpv6(type: 133, code: 0, id: nil, seq: nil))
        run.see(rs, at: L.ns1, 0)
        let group = L.udp(L.ns1IP, 5353, "224.0.0.251", 5353, ipid: 9, dir: .outbound)
        run.see(group, at: L.ns1, 1)
        run.advance(3000)
        #expect(run.c.allFlows.count == 2)
        for f in run.c.allFlows { #expect(f.verdict.state == .delivered, "\(f.verdict)") }
        // The same silence towards a unicast address is unreplied.
        let other = Run(paths: StaticPaths([.init([L.ns1])]))
        other.see(L.udp(L.ns1IP, 5353, "172.18.0.2", 5353, ipid: 9, dir: .outbound), at: L.ns1, 0)
        other.advance(3000)
        #expect(other.onlyFlow?.verdict.state == .unreplied)
    }

    @Test func unrepliedThroughSNATHasNoMasqueradeHint() throws {
        let run = Run()
        run.request(seq: 1, at: 0)
        run.ct(L.pingEntry(.new), 0.2)
        run.advance(1300)
        let f = try #require(run.onlyFlow)
        #expect(f.verdict.state == .unreplied)
        #expect(f.verdict.reason == "delivered to htremote:enX0, no reply within 1 s")
        #expect(f.verdict.hint == nil)
    }

    @Test func aLostEchoAfterRepliesIsUnrepliedAndARecoveryIsRepliedAgain() throws {
        let run = Run()
        run.ct(L.pingEntry(.new), 0.1)
        run.request(seq: 1, at: 0)
        run.reply(seq: 1, at: 0.3)
        run.request(seq: 2, at: 1000)
        run.advance(2500)
        #expect(run.onlyFlow?.verdict.state == .unreplied)
        run.request(seq: 3, at: 3000)
        run.reply(seq: 3, at: 3000.3)
        #expect(run.onlyFlow?.verdict.state == .replied)
        #expect(run.onlyFlow?.journeys.compactMap(\.icmpSeq) == [1, 1, 2, 3, 3])
    }

    @Test func outOfOrderDeliveryBetweenCapturePointsIsOneJourneyInPathOrder() throws {
        let run = Run()
        let c = L.ns1IP, h = L.hostIP, r = L.remoteIP
        // Handles deliver in batches: the uplink's and remote's sightings first, docker1's last.
        run.see(L.echo(h, r, id: 27, seq: 1, ipid: 1001, ttl: 63, dir: .outbound), at: L.enX0, 0.3)
        run.see(L.echo(h, r, id: 27, seq: 1, ipid: 1001, ttl: 63, dir: .inbound), at: L.remote, 0.4)
        run.see(L.echo(c, r, id: 27, seq: 1, ipid: 1001, dir: .outbound), at: L.ns1, 0.0)
        run.see(L.echo(c, r, id: 27, seq: 1, ipid: 1001, dir: .other), at: L.veth1, 0.1)
        run.ct(L.pingEntry(.new), 0.35)
        #expect(run.onlyFlow?.nat.first?.between == nil)
        run.see(L.echo(c, r, id: 27, seq: 1, ipid: 1001, dir: .inbound), at: L.docker1, 0.2)
        let f = try #require(run.onlyFlow)
        #expect(f.journeys.count == 1)
        let j = f.journeys[0]
        #expect(j.hops.map(\.point) == [L.ns1, L.veth1, L.docker1, L.enX0, L.remote])
        #expect(j.hops.compactMap(\.deltaMicros) == [100, 100, 100, 100])
        #expect(j.verdict.state == .delivered)
        #expect(f.nat == [NATRewrite(kind: .snat, field: .src, from: c, to: h, between: (L.docker1, L.enX0))])
    }

    @Test func unknownPathsSayPathUnknownInsteadOfGuessing() throws {
        let run = Run(paths: UnknownPaths())
        run.see(L.echo(L.ns1IP, L.remoteIP, id: 1, seq: 1, ipid: 1, dir: .outbound), at: L.ns1, 0)
        run.see(L.echo(L.ns1IP, L.remoteIP, id: 1, seq: 1, ipid: 1, dir: .other), at: L.veth1, 0.1)
        run.advance(2000)
        let f = try #require(run.onlyFlow)
        #expect(f.journeys.count == 1)
        #expect(f.journeys[0].verdict.state == .seen)
        #expect(f.journeys[0].hops.map(\.point) == [L.ns1, L.veth1])
        #expect(f.verdict.state == .unreplied)
        #expect(f.verdict.reason == "seen at hthost:veth1 (path unknown), no reply within 1 s")
    }

    /// A flood of pings after one answered: seq 1's request and reply roll out of the flow's
    /// 32 journeys before any later one settles. Nothing newer has finished, so "replied"
    /// stands, with the newest request pending beside it; it does not fall back to in flight.
    @Test func aSettledVerdictStandsWhenItsExchangeRollsOutOfTheList() throws {
        let run = Run()
        run.request(seq: 1, at: 0)
        run.ct(Lab.pingEntry(.new), 0.16)
        run.reply(seq: 1, at: 0.5)
        run.advance(1200)
        #expect(run.onlyFlow?.verdict.state == .replied)
        for seq in 2...40 { run.request(seq: UInt16(seq), at: 1300 + Double(seq) * 0.5) }
        let f = try #require(run.onlyFlow)
        #expect(!f.journeys.contains { $0.icmpSeq == 1 }, "seq 1 rolled out")
        #expect(f.verdict.state == .replied)
        #expect(f.pendingText?.hasPrefix("seq 40 ") == true, "\(f.pendingText ?? "-")")
        #expect(f.history.map(\.to) == [.replied])
    }
}
