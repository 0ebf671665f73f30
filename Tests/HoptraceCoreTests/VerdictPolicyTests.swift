import Testing
import HoptraceCore

/// The verdict policy (`VerdictPolicy`), through the correlator as the event loop drives it:
/// one test per rule, one per transition of a long-lived flow whose conditions change.
@Suite struct VerdictPolicyTests {
    typealias L = Lab

    /// A ping every `every` ms from `from` for `count` requests; `answered` says which get a reply.
    /// With SNAT the flow's two halves are one flow once conntrack says so: its NEW comes with the first request.
    func ping(_ run: Run, seqs: ClosedRange<UInt16>, every: Double = 500, from start: Double,
              snat: Bool = true, until last: CapturePoint = Lab.remote, answered: Bool = true) {
        for seq in seqs {
            let t = start + Double(seq - seqs.lowerBound) * every
            run.request(seq: seq, at: t, snat: snat, until: last)
            if snat && run.c.allFlows.allSatisfy({ $0.conntrackID == nil }) { run.ct(Lab.pingEntry(.new), t + 0.2) }
            if answered { run.reply(seq: seq, at: t + 0.5, snat: snat) }
            run.advance(t + every - 1)
        }
    }

    func states(_ run: Run, of id: Int = 1) -> [Verdict.State] {
        run.changes.filter { $0.flowID == id }.map(\.flow.verdict.state)
    }

    // MARK: - Rules

    @Test func aDeliveredReplyAnswersItsRequestAtOnce() throws {
        let run = Run()
        run.request(seq: 1, at: 0, snat: false)
        run.reply(seq: 1, at: 0.5, snat: false)
        // No need to wait for lossTimeout: the exchange is finished.
        let f = try #require(run.onlyFlow)
        #expect(f.verdict.state == .replied)
        #expect(f.verdict.reason == "reply reached htns1:eth0 in 5 hops")
        #expect(f.window.replied == 1 && f.window.inFlight == 0)
        #expect(f.pendingText == nil)
    }

    @Test func conntrackSeeingAReplyAfterTheRequestIsFreshEvidence() throws {
        let run = Run()
        // Only the outbound half is watched; conntrack saw the reply pass.
        run.request(seq: 1, at: 0)
        run.ct(L.pingEntry(.new), 0.2)
        run.ct(L.pingEntry(.update, replied: true), 0.6)
        run.advance(2000)
        let f = try #require(run.onlyFlow)
        #expect(f.verdict.state == .replied)
        #expect(f.verdict.reason == "conntrack saw a reply (not captured at a watched point)")
    }

    @Test func aConntrackStatusOlderThanTheRequestIsNotEvidence() throws {
        let run = Run()
        run.request(seq: 1, at: 0)
        run.ct(L.pingEntry(.new), 0.2)
        run.ct(L.pingEntry(.update, replied: true), 0.6)
        run.advance(900)
        // SEEN_REPLY stays set; the next request gets no reply and no new event.
        run.request(seq: 2, at: 1000)
        run.advance(2100)
        let f = try #require(run.onlyFlow)
        #expect(f.seenReply)
        #expect(f.verdict.state == .unreplied, "\(f.verdict.reason)")
    }

    @Test func aRequestThatVanishedDecides() throws {
        let run = Run()
        run.request(seq: 1, at: 0, until: L.docker1)
        run.advance(1100)
        let f = try #require(run.onlyFlow)
        #expect(f.verdict.state == .vanished)
        #expect(f.verdict.reason == "vanished after hthost:docker1, before hthost:enX0")
        #expect(f.window.vanished == 1)
    }

    @Test func anUntranslatedPrivateSourceIsUnrepliedWithTheMasqueradeHint() throws {
        let run = Run()
        run.request(seq: 1, at: 0, snat: false)
        run.advance(1100)
        let f = try #require(run.onlyFlow)
        #expect(f.verdict.state == .unreplied)
        #expect(f.verdict.hint == "no SNAT: replies cannot come back; add MASQUERADE for 172.18.0.0/24 on enX0")
        #expect(f.verdict.fix == "ip netns exec hthost iptables -t nat -A POSTROUTING -s 172.18.0.0/24 '!' -o docker1 -j MASQUERADE")
    }

    @Test func aReplyThatVanishedIsTheReturnRule() throws {
        let run = Run()
        run.request(seq: 1, at: 0)
        run.ct(L.pingEntry(.new), 0.2)
        run.reply(seq: 1, at: 0.5, until: L.enX0)
        run.advance(1200)
        let f = try #require(run.onlyFlow)
        #expect(f.verdict.state == .vanished)
        #expect(f.verdict.reason == "reply vanished after hthost:enX0, before hthost:docker1")
        #expect(f.verdict.fix == "ip netns exec hthost iptables -A FORWARD -o docker1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
    }

    @Test func anICMPErrorAnswersTheRequest() throws {
        let run = Run()
        run.request(seq: 1, at: 0, snat: false, until: L.docker1)
        var err = DecodedPacket(direction: .outbound, etherType: 0x0800, src: L.ip("172.18.0.1"), dst: L.ip(L.ns1IP), ipID: 9,
                                ttl: 64, length: 112, transport: .icmp(type: 3, code: 1, id: nil, seq: nil))
        err.quoted = .init(src: L.ip(L.ns1IP), dst: L.ip(L.remoteIP), proto: 1, ipID: 1001, icmpID: 27, icmpSeq: 1)
        run.see(err, at: L.docker1, 1)
        run.advance(1200)
        let f = try #require(run.onlyFlow)
        #expect(f.verdict.state == .icmpError)
        #expect(f.verdict.reason.hasPrefix("ICMP host unreachable from 172.18.0.1"), "\(f.verdict.reason)")
    }

    @Test func multicastIsDeliveredNeverUnreplied() throws {
        let run = Run()
        let rs = DecodedPacket(direction: .outbound, etherType: 0x0800, src: L.ip(L.ns1IP), dst: L.ip("224.0.0.22"), ipID: 1,
                               ttl: 1, length: 40, transport: .udp(sport: 5353, dport: 5353))
        run.see(rs, at: L.ns1, 0)
        run.advance(1200)
        let f = try #require(run.onlyFlow)
        #expect(f.verdict.state != .unreplied)
    }

    @Test func aCaptureGapIsNoOutcome() throws {
        let run = Run()
        ping(run, seqs: 1...2, from: 0)
        run.c.captureLost(at: L.enX0, dropped: 40, from: run.time(1000), to: run.time(1100))
        run.request(seq: 3, at: 1000, until: L.docker1)
        run.advance(2200)
        let f = try #require(run.onlyFlow)
        #expect(f.verdict.state == .replied)
        #expect(f.window.vanished == 0 && f.window.replied == 2)
    }

    @Test func aFinalAckIsNotUnrepliedButTwoUnansweredSegmentsAre() throws {
        let run = Run()
        let c = "172.18.0.3", s = L.remoteIP
        func seg(_ src: String, _ sp: UInt16, _ dst: String, _ dp: UInt16, flags: UInt8, seq: UInt32, _ ms: Double, reply: Bool) {
            let hops = reply ? [L.remote, L.enX0, L.docker1, L.veth1, L.ns1] : [L.ns1, L.veth1, L.docker1, L.enX0, L.remote]
            for (i, h) in hops.enumerated() {
                run.see(L.tcp(src, sp, dst, dp, flags: flags, seq: seq, ipid: UInt16(seq & 0xFFFF), dir: i == 0 ? .outbound : .inbound),
                        at: h, ms + Double(i) * 0.05)
            }
        }
        seg(c, 40000, s, 80, flags: 0x02, seq: 1, 0, reply: false)          // SYN
        seg(s, 80, c, 40000, flags: 0x12, seq: 100, 1, reply: true)         // SYN-ACK
        seg(c, 40000, s, 80, flags: 0x10, seq: 2, 2, reply: false)          // ACK: draws no answer
        run.advance(1500)
        #expect(run.onlyFlow?.verdict.state == .replied)
        // Then two data segments with nothing back.
        seg(c, 40000, s, 80, flags: 0x18, seq: 3, 2000, reply: false)
        seg(c, 40000, s, 80, flags: 0x18, seq: 4, 2300, reply: false)
        run.advance(3500)
        #expect(run.onlyFlow?.verdict.state == .unreplied)
    }

    @Test func aRequestInFlightStandsBesideTheSettledVerdict() throws {
        let run = Run()
        ping(run, seqs: 1...2, from: 0)
        run.request(seq: 3, at: 1000, until: L.docker1)
        let f = try #require(run.onlyFlow)
        #expect(f.verdict.state == .replied)
        #expect(f.pendingText == "seq 3 in flight after hthost:docker1, next hthost:enX0")
        #expect(f.window.inFlight == 1)
    }

    // MARK: - Transitions

    @Test func aForwardDropAndItsRepairAreTwoChanges() throws {
        let run = Run()
        ping(run, seqs: 1...4, from: 0)
        ping(run, seqs: 5...8, from: 2000, until: L.docker1, answered: false)
        ping(run, seqs: 9...12, from: 4000)
        run.advance(6500)
        let f = try #require(run.onlyFlow)
        #expect(f.history.map(\.to) == [.replied, .vanished, .replied])
        #expect(f.history.map(\.from) == [.delivered, .replied, .vanished])
        let changed = run.changes.filter { $0.changedFrom != nil }
        #expect(changed.map(\.changedFrom) == [.delivered, .replied, .vanished])
        #expect(changed.map(\.flow.verdict.state) == [.replied, .vanished, .replied])
        // Each change is reported once, in the window of the change (not re-decided per request).
        #expect(f.verdictSince == f.history.last?.time)
        #expect(f.window.recent.suffix(4) == [.replied, .replied, .replied, .replied])
    }

    @Test func natSwitchedOffIsUnrepliedAndTheBadgeSaysUntilWhen() throws {
        let run = Run()
        run.s2Ping()
        ping(run, seqs: 2...4, from: 2000)
        // MASQUERADE removed: the entry keeps SRC_NAT and SEEN_REPLY, the packets leave untranslated.
        ping(run, seqs: 5...8, from: 4000, snat: false, answered: false)
        run.advance(7000)
        let f = try #require(run.onlyFlow)
        #expect(f.verdict.state == .unreplied, "\(f.verdict.reason)")
        #expect(f.verdict.hint?.contains("MASQUERADE for 172.18.0.0/24") == true)
        #expect(f.verdict.reason.contains("the entry is stale"), "\(f.verdict.reason)")
        let snat = try #require(f.nat.first { $0.field == "src" })
        #expect(snat.until == run.time(4000 + 0.15))
        #expect(f.history.last?.note.hasPrefix("SNAT stopped (MASQUERADE removed?)") == true)
        // And back on: replied, and the rewrite applies again.
        ping(run, seqs: 9...10, from: 7000)
        let g = try #require(run.onlyFlow)
        #expect(g.verdict.state == .replied)
        #expect(g.nat.first { $0.field == "src" }?.until == nil)
    }

    @Test func aPingStartedWithoutNATHoldsUnreplied() throws {
        let run = Run()
        ping(run, seqs: 1...12, every: 500, from: 0, snat: false, answered: false)
        run.advance(8000)
        let s = states(run)
        let first = try #require(s.firstIndex(of: .unreplied))
        #expect(s[first...].allSatisfy { $0 == .unreplied }, "\(s)")
        #expect(s[..<first].allSatisfy { $0 == .inFlight || $0 == .delivered }, "\(s)")
        #expect(run.onlyFlow?.history.map(\.to) == [.unreplied])
    }

    @Test func anOldLostRequestDoesNotTaintALaterAnsweredOne() throws {
        let run = Run()
        run.request(seq: 1, at: 0, snat: false, until: L.docker1)
        run.request(seq: 2, at: 500, snat: false)
        run.reply(seq: 2, at: 500.5, snat: false)
        run.advance(2000)
        // seq 1 settled as vanished after seq 2 was answered: the newest outcome stands.
        #expect(run.onlyFlow?.verdict.state == .replied)
        #expect(run.onlyFlow?.window.vanished == 1)
    }

    // MARK: - Hops

    @Test func multicastHopsPutTheSenderFirstWithNoNegativeDeltas() throws {
        let run = Run(paths: UnknownPaths())
        let mld = DecodedPacket(direction: .outbound, etherType: 0x86DD, src: .v6(IPv6Address("fe80::1")!),
                                dst: .v6(IPv6Address("ff02::16")!), ipID: 0, ttl: 1, length: 76,
                                transport: .icmpv6(type: 143, code: 0, id: nil, seq: nil))
        var host = mld
        host.direction = .host
        // The receivers stamp their copies a few microseconds before the sender does.
        run.see(host, at: L.veth1, 0.000)
        run.see(host, at: L.docker1, 0.002)
        run.see(mld, at: L.ns1, 0.005)
        let j = try #require(run.onlyFlow?.journeys.first)
        #expect(j.hops.first?.point == L.ns1)
        #expect(j.hops.allSatisfy { ($0.deltaMicros ?? 0) >= 0 })
        #expect(j.spanMicros >= 0)
    }

    @Test func deliveredInNHopsCountsThePointsThatSawIt() throws {
        let run = Run()
        run.request(seq: 1, at: 0, snat: false)
        let f = try #require(run.onlyFlow)
        #expect(f.verdict.reason.hasPrefix("delivered to htremote:enX0 in 5 hops"), "\(f.verdict.reason)")
    }

    @Test func aSpoofedSourceArrivingFromOutsideGetsNoMasqueradeHint() throws {
        let run = Run()
        // remote sends with a forged private source; host's enX0 receives it and rp_filter drops it.
        let spoof = "172.18.0.50"
        run.see(L.echo(spoof, L.hostIP, id: 9, seq: 1, ipid: 77, dir: .outbound), at: L.remote, 0)
        run.see(L.echo(spoof, L.hostIP, id: 9, seq: 1, ipid: 77, dir: .inbound), at: L.enX0, 0.05)
        run.advance(1500)
        let f = try #require(run.onlyFlow)
        #expect(f.verdict.hint?.contains("MASQUERADE") != true, "\(f.verdict)")
        #expect(f.verdict.fix?.contains("MASQUERADE") != true, "\(f.verdict)")
    }
}
