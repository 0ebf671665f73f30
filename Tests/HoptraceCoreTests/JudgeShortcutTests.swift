@testable import HoptraceCore
import Testing

/// `Correlator.judge` skips the verdict policy when a sighting cannot change the verdict
/// (a packet moving on, a request still unfinished). These runs feed the same interleaved
/// traffic to a correlator with those shortcuts and to one judging everything in full:
/// every change either returns, and every flow in the end, must be the same.
struct JudgeShortcutTests {
    typealias L = Lab

    enum Input {
        case packet(DecodedPacket, CapturePoint, EventTime)
        case conntrack(ConntrackEvent, EventTime)
        case advance(EventTime)
        /// A point's capture dropped packets from the first time to the second.
        case captureLoss(CapturePoint, EventTime, EventTime)
    }

    /// A UDP flood from ns1 through MASQUERADE, packets close enough that one's last sightings
    /// come after the next one's first; some lost on the way, some answered, some drawing an
    /// ICMP port unreachable; and an echo flow beside it with replies by seq.
    ///
    /// `unit` (µs) scales every gap. With lossTimeout 50 ms: at 1 µs nothing settles until the
    /// end (a flood: journeys roll out of the bounded list first); at 1000 µs packets are
    /// often seen again after their journey settled.
    static func traffic(seed: UInt64, unit: Int64) -> [Input] {
        var r = SplitMix64(seed: seed)
        let t0 = EventTime(seconds: 1_795_438_391, micros: 0)
        let out = [L.ns1, L.veth1, L.docker1, L.enX0, L.remote], back = Array(out.reversed())
        var sightings: [(time: Int64, order: Int, point: CapturePoint, packet: DecodedPacket)] = []
        func add(_ at: Int64, _ point: CapturePoint, _ p: DecodedPacket) {
            sightings.append((at, sightings.count, point, p))
        }
        var start: Int64 = 0
        for k in 0..<260 {
            start += Int64(5 + r.below(120))
            let ipid = UInt16(truncatingIfNeeded: 100 + k)
            let echo = r.chance(25)
            // How far the request gets (5: all the way).
            let reach = r.chance(12) ? 1 + r.below(4) : 5
            // A point that missed it (its capture dropped it): delivered in 4 hops, not 5.
            let missed = r.chance(10) ? 1 + r.below(3) : -1
            var at = start
            for (i, point) in out.prefix(reach).enumerated() {
                at += Int64(3 + r.below(60))
                if i == missed { continue }
                let src = i >= 3 ? L.hostIP : L.ns1IP
                add(at, point, echo
                    ? L.echo(src, L.remoteIP, id: 27, seq: UInt16(k), ipid: ipid, ttl: i >= 3 ? 63 : 64, dir: i == 0 || i == 3 ? .outbound : .inbound)
                    : L.udp(src, 5000, L.remoteIP, 9000, ipid: ipid, ttl: i >= 3 ? 63 : 64, dir: i == 0 || i == 3 ? .outbound : .inbound))
            }
            guard reach == 5 else { continue }
            let answer = r.below(100)
            if answer < (echo ? 70 : 15) {
                // A reply (an echo reply by seq, or a UDP answer), maybe lost on the way back.
                let reachBack = r.chance(10) ? 1 + r.below(4) : 5
                for (i, point) in back.prefix(reachBack).enumerated() {
                    at += Int64(3 + r.below(60))
                    let dst = i <= 1 ? L.hostIP : L.ns1IP
                    let rid = UInt16(truncatingIfNeeded: 7000 + k)
                    add(at, point, echo
                        ? L.echo(L.remoteIP, dst, reply: true, id: 27, seq: UInt16(k), ipid: rid, dir: i == 0 ? .outbound : .inbound)
                        : L.udp(L.remoteIP, 9000, dst, 5000, ipid: rid, dir: i == 0 ? .outbound : .inbound))
                }
            } else if !echo && answer < 25 {
                // ICMP port unreachable from the remote, back to ns1.
                for (i, point) in back.enumerated() {
                    at += Int64(3 + r.below(60))
                    let inner = i <= 1 ? L.hostIP : L.ns1IP
                    var err = DecodedPacket(direction: i == 0 ? .outbound : .inbound, etherType: 0x0800, src: L.ip(L.remoteIP),
                                            dst: L.ip(inner), ipID: UInt16(truncatingIfNeeded: 9000 + k), ttl: 64, length: 68,
                                            transport: .icmp(type: 3, code: 3, id: nil, seq: nil))
                    err.quoted = .init(src: L.ip(inner), dst: L.ip(L.remoteIP), proto: 17, ipID: ipid, sport: 5000, dport: 9000)
                    add(at, point, err)
                }
            }
        }
        sightings.sort { ($0.time, $0.order) < ($1.time, $1.order) }
        var inputs: [Input] = []
        let udpEntry = ConntrackEvent(kind: .new, proto: 17, orig: L.portTuple(L.ns1IP, 5000, L.remoteIP, 9000),
                                      reply: L.portTuple(L.remoteIP, 9000, L.hostIP, 5000), status: L.confirmed | L.srcNAT, timeout: 30, id: 11)
        for (n, s) in sightings.enumerated() {
            let time = EventTime(micros: t0.micros + s.time * unit)
            inputs.append(.packet(s.packet, s.point, time))
            if n == 8 { inputs.append(.conntrack(udpEntry, time)) }
            if n == 20 { inputs.append(.conntrack(L.pingEntry(.new), time)) }
            // The loop's turns: settles what lossTimeout has passed for.
            if n % 37 == 36 { inputs.append(.advance(time)) }
        }
        inputs.append(.advance(EventTime(micros: t0.micros + start * unit + 5_000_000)))
        return inputs
    }

    static func summary(_ changes: [FlowChange]) -> [String] {
        changes.map { c in
            let f = c.flow
            return "\(c.kind) \(c.flowID) \(c.what.rawValue) \(c.changedFrom?.rawValue ?? "-") | \(describe(f))"
        }
    }

    static func describe(_ f: Flow) -> String {
        let v = f.verdict
        return "\(v.state.rawValue) at \(v.at.map { "\($0)" } ?? "-"): \(v.reason) [\(v.hint ?? "")] [\(v.fix ?? "")]"
            + " pending \(f.pendingText ?? "-") window \(f.window) history \(f.history.map { "\($0.from.rawValue)>\($0.to.rawValue)" })"
    }

    /// The two correlators after `inputs`, each change compared on the way (`context` names the run).
    @discardableResult
    static func compare(_ inputs: [Input], _ context: String) -> (quick: Correlator, full: Correlator) {
        let quick = Correlator(paths: L.paths, lossTimeout: 0.05, maxFlows: 100)
        let full = Correlator(paths: L.paths, lossTimeout: 0.05, maxFlows: 100)
        full.judgesInFull = true
        for (n, input) in inputs.enumerated() {
            let a: [FlowChange], b: [FlowChange]
            switch input {
            case .packet(let p, let point, let time):
                a = quick.ingest(packet: p, at: point, time: time)
                b = full.ingest(packet: p, at: point, time: time)
            case .conntrack(let e, let time):
                a = quick.ingest(conntrack: e, netns: "hthost", time: time)
                b = full.ingest(conntrack: e, netns: "hthost", time: time)
            case .advance(let time):
                a = quick.advance(to: time)
                b = full.advance(to: time)
            case .captureLoss(let point, let from, let to):
                for c in [quick, full] { c.captureLost(at: point, dropped: 3, from: from, to: to) }
                (a, b) = ([], [])
            }
            let (sa, sb) = (summary(a) + quick.allFlows.map(describe), summary(b) + full.allFlows.map(describe))
            #expect(sa == sb, "\(context), input \(n)")
            if sa != sb { break }
        }
        return (quick, full)
    }

    static let t0 = EventTime(seconds: 1_795_438_391, micros: 0)
    static let out = [L.ns1, L.veth1, L.docker1, L.enX0, L.remote]
    /// conntrack's entry for the UDP flow (MASQUERADE): the NATed sightings join it.
    static let udpEntry = ConntrackEvent(kind: .new, proto: 17, orig: L.portTuple(L.ns1IP, 5000, L.remoteIP, 9000),
                                         reply: L.portTuple(L.remoteIP, 9000, L.hostIP, 5000), status: L.confirmed | L.srcNAT,
                                         timeout: 30, id: 11)

    /// The UDP request `ipid` seen at `points` (indices into `out`) at these µs after t0.
    static func request(_ ipid: UInt16, _ sightings: [(point: Int, micros: Int64)]) -> [Input] {
        sightings.map { s in
            .packet(L.udp(s.point >= 3 ? L.hostIP : L.ns1IP, 5000, L.remoteIP, 9000, ipid: ipid, dir: .inbound), out[s.point],
                    EventTime(micros: t0.micros + s.micros))
        }
    }

    static func request(_ ipid: UInt16, at micros: Int64, reach: Int = 5) -> [Input] {
        request(ipid, (0..<reach).map { ($0, micros + Int64($0) * 20) })
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64], [1, 100, 1000] as [Int64])
    func theShortcutsConcludeWhatAFullJudgementWould(seed: UInt64, unit: Int64) {
        let (quick, full) = Self.compare(Self.traffic(seed: seed, unit: unit), "seed \(seed), unit \(unit)")
        // The shortcuts were taken (else this compared a correlator with itself).
        #expect(quick.fullJudgements * 2 < full.fullJudgements, "seed \(seed), unit \(unit): \(quick.fullJudgements) vs \(full.fullJudgements)")
    }

    /// Scripted: a UDP flow answered once, then two requests delivered without an answer (the
    /// second is "unreplied": two in a row after an answered exchange), then a flood of
    /// requests that pushes the oldest journeys out. When the first unanswered request goes,
    /// the second no longer counts as unreplied: a new request that made room must be judged,
    /// not waved through as merely pending.
    @Test func aRequestThatPushesTheOldestOutIsJudged() {
        var inputs: [Input] = [.conntrack(Self.udpEntry, Self.t0)]
        inputs += Self.request(1, at: 0)
        for (i, point) in Self.out.reversed().enumerated() {
            inputs.append(.packet(L.udp(L.remoteIP, 9000, i <= 1 ? L.hostIP : L.ns1IP, 5000, ipid: 500, dir: .inbound), point,
                                  EventTime(micros: Self.t0.micros + 1000 + Int64(i) * 20)))
        }
        inputs.append(.advance(EventTime(micros: Self.t0.micros + 100_000)))
        inputs += Self.request(2, at: 200_000)
        inputs += Self.request(3, at: 210_000)
        inputs.append(.advance(EventTime(micros: Self.t0.micros + 300_000)))
        let set = inputs.count
        for k in 0..<32 { inputs += Self.request(UInt16(10 + k), at: 400_000 + Int64(k) * 1000) }
        #expect(Self.compare(Array(inputs.prefix(set)), "setting").full.allFlows.first?.verdict.state == .unreplied, "the scene is set")
        let (_, full) = Self.compare(inputs, "flood")
        #expect(full.allFlows.first?.verdict.state == .delivered)
    }

    /// Scripted: one request delivered, then requests that all stop at docker1, still in flight
    /// (a FORWARD drop not settled yet). When the delivered one rolls out of the list, the
    /// verdict is no longer "delivered, awaiting reply": it must be judged again.
    @Test func theOnlyDeliveredRequestRollingOutIsJudged() {
        var inputs: [Input] = [.conntrack(Self.udpEntry, Self.t0)]
        for k in 0..<40 { inputs += Self.request(UInt16(k), at: Int64(k) * 100, reach: k == 0 ? 5 : 3) }
        let (quick, full) = Self.compare(inputs, "blocked")
        #expect(full.allFlows.first?.verdict.state == .inFlight, "the delivered request rolled out")
        #expect(quick.fullJudgements < full.fullJudgements)
    }

    /// Scripted: while the verdict is "delivered, awaiting reply", a request that a capture
    /// missed at veth1 (delivered in 4 hops) arrives at the remote after a later one did (in 5):
    /// the verdict stays the later request's.
    @Test func anEarlierRequestDeliveredLateDoesNotTakeTheVerdict() {
        var inputs: [Input] = [.conntrack(Self.udpEntry, Self.t0)]
        inputs += Self.request(1, at: 0)
        inputs += Self.request(2, [(0, 1000), (2, 1010), (3, 1020)])
        inputs += Self.request(3, at: 1005)
        inputs += Self.request(2, [(4, 1200)])
        let (quick, full) = Self.compare(inputs.sorted { $0.time < $1.time }, "late")
        #expect(full.allFlows.first?.verdict.reason.contains("5 hops") == true, "\(full.allFlows.first?.verdict.reason ?? "-")")
        #expect(quick.fullJudgements < full.fullJudgements)
    }
}

extension JudgeShortcutTests {
    /// Scripted: while the flow awaits its reply, a new request is seen first at the path's
    /// last point (the others' captures had not started): delivered at once, it is the verdict.
    @Test func aNewRequestDeliveredAtItsFirstSightingIsJudged() {
        var inputs: [Input] = [.conntrack(Self.udpEntry, Self.t0)]
        inputs += Self.request(1, at: 0)
        inputs += Self.request(2, [(4, 1000)])
        let (quick, full) = Self.compare(inputs, "delivered at once")
        #expect(full.allFlows.first?.verdict.reason.contains("1 hop") == true, "\(full.allFlows.first?.verdict.reason ?? "-")")
        #expect(quick.allFlows.first?.verdict.reason == full.allFlows.first?.verdict.reason)
    }

    /// Scripted: an echo request missed at enX0 while its capture dropped packets (uncaptured:
    /// it decides nothing) and answered all the same, then requests awaiting their replies
    /// until it rolls out of the list: its reply, alone, is an exchange that finished.
    @Test func anAnswerLeftAloneWhenItsRequestRollsOutIsJudged() {
        func ping(_ seq: UInt16, at micros: Int64, hops: [Int] = [0, 1, 2, 3, 4]) -> [Input] {
            hops.map { i in
                .packet(L.echo(i >= 3 ? L.hostIP : L.ns1IP, L.remoteIP, id: 27, seq: seq, ipid: 1000 + seq, dir: .inbound), Self.out[i],
                        EventTime(micros: Self.t0.micros + micros + Int64(i) * 20))
            }
        }
        func pong(_ seq: UInt16, at micros: Int64) -> [Input] {
            Self.out.reversed().enumerated().map { i, point in
                .packet(L.echo(L.remoteIP, i <= 1 ? L.hostIP : L.ns1IP, reply: true, id: 27, seq: seq, ipid: 5000 + seq, dir: .inbound), point,
                        EventTime(micros: Self.t0.micros + micros + Int64(i) * 20))
            }
        }
        var inputs: [Input] = [.captureLoss(L.enX0, Self.t0, EventTime(micros: Self.t0.micros + 1000)),
                               .conntrack(L.pingEntry(.new), Self.t0)]
        inputs += ping(1, at: 0, hops: [0, 1, 2])
        inputs += pong(1, at: 500)
        inputs.append(.advance(EventTime(micros: Self.t0.micros + 60_000)))
        inputs += ping(2, at: 100_000)
        for k in 0..<31 { inputs += ping(UInt16(10 + k), at: 100_200 + Int64(k) * 100, hops: [0, 1]) }
        let (_, full) = Self.compare(inputs, "answer alone")
        #expect(full.allFlows.first?.verdict.state == .replied, "\(full.allFlows.first.map(Self.describe) ?? "-")")
    }
}

extension JudgeShortcutTests.Input {
    var time: EventTime {
        switch self {
        case .packet(_, _, let t), .conntrack(_, let t), .advance(let t), .captureLoss(_, let t, _): t
        }
    }
}
