@testable import HoptraceCore
import Testing

/// `Correlator.judge` skips the verdict policy when a sighting cannot change the verdict
/// (a packet moving on, a request still unfinished). These runs feed the same interleaved
/// traffic to a correlator with those shortcuts and to one judging everything in full:
/// every change either returns, and every flow in the end, must be the same.
struct JudgeShortcutTests {
    typealias L = Lab

    /// A deterministic generator (SplitMix64): a failure names its seed and replays.
    struct Seeded {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    }

    enum Input {
        case packet(DecodedPacket, CapturePoint, EventTime)
        case conntrack(ConntrackEvent, EventTime)
        case advance(EventTime)
    }

    /// A UDP flood from ns1 through MASQUERADE, packets close enough that one's last sightings
    /// come after the next one's first; some lost on the way, some answered, some drawing an
    /// ICMP port unreachable; and an echo flow beside it with replies by seq.
    static func traffic(seed: UInt64) -> [Input] {
        var r = Seeded(state: seed)
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
            var at = start
            for (i, point) in out.prefix(reach).enumerated() {
                at += Int64(3 + r.below(60))
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
            let time = t0.adding(seconds: Double(s.time) / 1000)
            inputs.append(.packet(s.packet, s.point, time))
            if n == 8 { inputs.append(.conntrack(udpEntry, time)) }
            if n == 20 { inputs.append(.conntrack(L.pingEntry(.new), time)) }
            // The loop's turns: settles what lossTimeout has passed for.
            if n % 37 == 36 { inputs.append(.advance(time)) }
        }
        inputs.append(.advance(t0.adding(seconds: Double(start) / 1000 + 5)))
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

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func theShortcutsConcludeWhatAFullJudgementWould(seed: UInt64) {
        let quick = Correlator(paths: L.paths, lossTimeout: 0.05, maxFlows: 100)
        let full = Correlator(paths: L.paths, lossTimeout: 0.05, maxFlows: 100)
        full.judgesInFull = true
        for (n, input) in Self.traffic(seed: seed).enumerated() {
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
            }
            let (sa, sb) = (Self.summary(a) + quick.allFlows.map(Self.describe), Self.summary(b) + full.allFlows.map(Self.describe))
            #expect(sa == sb, "seed \(seed), input \(n)")
            if sa != sb { return }
        }
        #expect(quick.allFlows.map(Self.describe) == full.allFlows.map(Self.describe), "seed \(seed)")
        // The shortcuts were taken (else this compared a correlator with itself).
        #expect(quick.fullJudgements * 2 < full.fullJudgements, "seed \(seed): \(quick.fullJudgements) vs \(full.fullJudgements)")
    }
}
