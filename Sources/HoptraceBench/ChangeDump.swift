import Foundation
import HoptraceCore

/// `--dump-changes N`: a differential check for work on the correlator's insides, not a
/// benchmark. Feeds N seeded runs of mixed traffic (NAT'd requests with points skipped
/// or out of order, replies, ICMP errors, conntrack new/update/destroy/existing, merges,
/// flips, eviction; every fourth run without known paths) and prints every FlowChange
/// (JSON and text) and every final flow. Run it from two builds and `cmp` the outputs:
/// any difference is a change of behaviour.
func changeDump(seed: UInt64, withPaths: Bool) {
    var rng = seed
    func rnd(_ n: Int) -> Int { rng = rng &* 6364136223846793005 &+ 1442695040888963407; return Int((rng >> 33) % UInt64(n)) }
    let P = CorrelatorBench.path
    let egress: [CapturePoint: EgressInfo] = [
        CorrelatorBench.enX0: EgressInfo(ownSubnets: [], isUplink: true, bridges: [.init(name: "docker1", subnet: IPPrefix(.v4(IPv4Address("172.18.0.0")!), prefixLength: 24))]),
        CorrelatorBench.veth1: EgressInfo(isUplink: false, bridgePortOf: "docker1"),
        CorrelatorBench.docker1: EgressInfo(isUplink: false, bridgePortOf: "docker1"),
    ]
    let paths: any HopPathProvider = withPaths ? StaticPaths([.init(P, to: [IPPrefix(.v4(IPv4Address("172.31.0.0")!), prefixLength: 16)]), .init(P.reversed(), to: [IPPrefix(.v4(IPv4Address("172.18.0.0")!), prefixLength: 16)]), .init(P.reversed())], egress: egress) : UnknownPaths()
    let c = Correlator(paths: paths, lossTimeout: 1, maxFlows: 60, journeyWindow: 2, maxJourneysPerFlow: 6, maxEventsPerFlow: 3)
    var t = EventTime(seconds: 1_795_000_000, micros: 0)
    let remote = CorrelatorBench.remoteIP, nat = CorrelatorBench.natIP
    func src(_ i: Int) -> IPAddress { .v4(IPv4Address(0xAC12_0000 | UInt32(2 + i))) }
    var out: [String] = []
    func emit(_ ch: [FlowChange], _ tag: String) {
        for x in ch { out.append("\(tag) \(x.kind) \(x.flowID) \(x.what.rawValue) \(x.mergedInto ?? -1) " + FlowJSON.line(x, time: t) + " | " + FlowText.line(x.flow)) }
        out.append("last \(c.lastFlowID ?? -1)")
    }
    var ipid: UInt16 = 0
    for _ in 0..<6000 {
        let i = rnd(90)
        let a = rnd(100)
        let echo = i % 3 == 0
        let sport = UInt16(2000 + i)
        t = EventTime(micros: t.micros + Int64(rnd(300_000)))
        if a < 45 {
            // request across the path, some points skipped, SNAT from enX0 on (unless i%7==0: no SNAT, S1)
            ipid &+= 1
            let stop = rnd(10) < 7 ? 5 : rnd(5) + 1
            let snat = i % 7 != 0
            var order = Array(0..<stop)
            if rnd(10) == 0 { var g = SeededGen(state: rng); order.shuffle(using: &g) }
            for h in order {
                let s = (h >= 3 && snat) ? nat : src(i)
                let tr: DecodedPacket.Transport = echo ? .icmp(type: 8, code: 0, id: sport, seq: ipid) : .udp(sport: sport, dport: 9000)
                let p = DecodedPacket(direction: h == 0 || h == 3 ? .outbound : .inbound, etherType: 0x0800, src: s, dst: remote, ipID: ipid, ttl: 64, length: 60, transport: tr)
                t = EventTime(micros: t.micros + Int64(rnd(40)) - 5)
                emit(c.ingest(packet: p, at: P[h], time: t), "req")
            }
        } else if a < 70 {
            ipid &+= 1
            let stop = rnd(10) < 7 ? 5 : rnd(5) + 1
            for k in 0..<stop {
                let h = 4 - k
                let d = (h >= 3 && i % 7 != 0) ? nat : src(i)
                let tr: DecodedPacket.Transport = echo ? .icmp(type: 0, code: 0, id: sport, seq: ipid &- UInt16(rnd(2))) : .udp(sport: 9000, dport: sport)
                let p = DecodedPacket(direction: .inbound, etherType: 0x0800, src: remote, dst: d, ipID: ipid, ttl: 60, length: 60, transport: tr)
                t = EventTime(micros: t.micros + Int64(rnd(40)))
                emit(c.ingest(packet: p, at: P[h], time: t), "rep")
            }
        } else if a < 85 {
            let kinds: [ConntrackEvent.Kind] = [.new, .update, .destroy, .existing]
            let k = kinds[rnd(4)]
            let o: ConntrackEvent.Tuple, r: ConntrackEvent.Tuple
            if echo {
                o = .init(src: src(i), dst: remote, icmp: (8, 0, sport)); r = .init(src: remote, dst: i % 7 != 0 ? nat : src(i), icmp: (0, 0, sport))
            } else {
                o = .init(src: src(i), dst: remote, sport: sport, dport: 9000); r = .init(src: remote, dst: i % 7 != 0 ? nat : src(i), sport: 9000, dport: sport)
            }
            let e = ConntrackEvent(kind: k, proto: echo ? 1 : 17, orig: o, reply: r, status: UInt32(rnd(2) << 1 | 1 << 3 | (i % 7 != 0 ? 1 << 4 : 0)), id: UInt32(i))
            emit(c.ingest(conntrack: e, netns: "hthost", time: t), "ct")
        } else if a < 92 {
            // ICMP error from docker1 host about flow i
            let q = DecodedPacket.Quoted(src: i % 2 == 0 ? src(i) : nat, dst: remote, proto: echo ? 1 : 17, ipID: ipid, sport: echo ? nil : sport, dport: echo ? nil : 9000, icmpID: echo ? sport : nil, icmpSeq: echo ? ipid : nil)
            var p = DecodedPacket(direction: .inbound, etherType: 0x0800, src: .v4(IPv4Address("172.31.0.1")!), dst: i % 2 == 0 ? src(i) : nat, ipID: ipid &+ 7, ttl: 60, length: 88, transport: .icmp(type: 3, code: UInt8(rnd(4)), id: nil, seq: nil))
            p.quoted = q
            emit(c.ingest(packet: p, at: P[rnd(5)], time: t), "err")
        } else {
            emit(c.advance(to: t), "adv")
        }
    }
    t = .distantFuture
    emit(c.advance(to: t), "end")
    for f in c.allFlows { out.append("flow " + FlowJSON.line(f, time: t) + " | " + FlowText.line(f) + " lj \(f.latestJourney?.id ?? -1) lx \(f.latestExchange.map(\.id))") }
    let s = c.sizes
    out.append("stats \(c.stats) flows \(s.flows) lru \(s.lru) dl \(s.deadlines) mj \(s.maxJourneys) mji \(s.maxJourneyIndex) me \(s.maxEvents) pc \(s.pathCache)")
    for l in out { say(l) }
}

struct SeededGen: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state }
}
