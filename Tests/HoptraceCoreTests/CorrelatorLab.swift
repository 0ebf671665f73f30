import HoptraceCore

/// The lab as the correlator tests see it: capture points, addresses, paths, and a
/// small driver so a test reads like the scenario ("ns1 sends, veth1 passes, …").
enum Lab {
    static let ns1 = CapturePoint(netns: "htns1", iface: "eth0")
    static let veth1 = CapturePoint(netns: "hthost", iface: "veth1")
    static let ns0 = CapturePoint(netns: "htns0", iface: "eth0")
    static let veth0 = CapturePoint(netns: "hthost", iface: "veth0")
    static let docker1 = CapturePoint(netns: "hthost", iface: "docker1")
    static let enX0 = CapturePoint(netns: "hthost", iface: "enX0")
    static let remote = CapturePoint(netns: "htremote", iface: "enX0")

    static func ip(_ s: String) -> IPAddress { .v4(IPv4Address(s)!) }
    static func net(_ s: String) -> IPPrefix { IPPrefix(parsing: s)! }

    static let ns1IP = "172.18.0.3", ns0IP = "172.18.0.2", hostIP = "172.31.39.53", remoteIP = "172.31.45.174"
    /// What the packing suites read back: a time, and IPv6 addresses (the values kept behind a reference).
    static let packedTime = EventTime(seconds: 1_795_438_391, micros: 5)
    static let v6a = IPAddress.v6(IPv6Address("fd00::3")!), v6b = IPAddress.v6(IPv6Address("2001:db8::1")!)

    static let paths = StaticPaths(
        [
            .init([ns1, veth1, docker1, enX0, remote], to: [net("172.31.32.0/20")]),
            .init([ns0, veth0, docker1, enX0, remote], to: [net("172.31.32.0/20")]),
            .init([remote, enX0, docker1, veth1, ns1], to: [net("172.18.0.3/32"), net("172.31.39.53/32")]),
            .init([remote, enX0, docker1, veth0, ns0], to: [net("172.18.0.2/32")]),
            // Container to container: bridged, never routed, so docker1 itself does not see it.
            .init([ns1, veth1, veth0, ns0], to: [net("172.18.0.2/32")]),
            .init([ns0, veth0, veth1, ns1], to: [net("172.18.0.3/32")]),
        ],
        egress: [
            enX0: EgressInfo(ownSubnets: [net("172.31.32.0/20")], isUplink: true,
                             bridges: [.init(name: "docker1", subnet: net("172.18.0.0/24"))]),
            veth1: EgressInfo(isUplink: false, bridgePortOf: "docker1"),
            veth0: EgressInfo(isUplink: false, bridgePortOf: "docker1"),
        ])

    static func echo(_ src: String, _ dst: String, reply: Bool = false, id: UInt16, seq: UInt16, ipid: UInt16,
                     ttl: UInt8 = 64, dir: PacketDirection) -> DecodedPacket {
        DecodedPacket(direction: dir, etherType: 0x0800, src: ip(src), dst: ip(dst), ipID: ipid, ttl: ttl, length: 84,
                      transport: .icmp(type: reply ? 0 : 8, code: 0, id: id, seq: seq))
    }

    static func tcp(_ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16, flags: UInt8, seq: UInt32,
                    ack: UInt32 = 0, ipid: UInt16, ttl: UInt8 = 64, dir: PacketDirection) -> DecodedPacket {
        DecodedPacket(direction: dir, etherType: 0x0800, src: ip(src), dst: ip(dst), ipID: ipid, ttl: ttl, length: 60,
                      transport: .tcp(sport: sport, dport: dport, flags: flags, seq: seq, ack: ack, window: 64240))
    }

    static func udp(_ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16, ipid: UInt16, ttl: UInt8 = 64,
                    dir: PacketDirection) -> DecodedPacket {
        DecodedPacket(direction: dir, etherType: 0x0800, src: ip(src), dst: ip(dst), ipID: ipid, ttl: ttl, length: 40,
                      transport: .udp(sport: sport, dport: dport))
    }

    static func icmpTuple(_ src: String, _ dst: String, type: UInt8, id: UInt16) -> ConntrackEvent.Tuple {
        .init(src: ip(src), dst: ip(dst), icmp: (type, 0, id))
    }

    static func portTuple(_ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16) -> ConntrackEvent.Tuple {
        .init(src: ip(src), dst: ip(dst), sport: sport, dport: dport)
    }

    static let seenReply: UInt32 = 1 << 1, confirmed: UInt32 = 1 << 3, srcNAT: UInt32 = 1 << 4, dstNAT: UInt32 = 1 << 5

    /// conntrack's view of ns1 pinging remote through MASQUERADE (reply id may be remapped).
    static func pingEntry(_ kind: ConntrackEvent.Kind, from src: String = ns1IP, id: UInt16 = 27, replyID: UInt16? = nil,
                          snat: Bool = true, replied: Bool = false) -> ConntrackEvent {
        ConntrackEvent(kind: kind, proto: 1, orig: icmpTuple(src, remoteIP, type: 8, id: id),
                       reply: icmpTuple(remoteIP, snat ? hostIP : src, type: 0, id: replyID ?? id),
                       status: confirmed | (snat ? srcNAT : 0) | (replied ? seenReply : 0), timeout: 30, id: 7)
    }
}

/// Feeds a correlator with times in milliseconds after a fixed start, collecting changes.
final class Run {
    let c: Correlator
    let t0 = EventTime(seconds: 1_795_438_391, micros: 0)
    var changes: [FlowChange] = []

    init(paths: any HopPathProvider = Lab.paths, maxFlows: Int = 50_000) {
        c = Correlator(paths: paths, lossTimeout: 1.0, maxFlows: maxFlows)
    }

    func time(_ ms: Double) -> EventTime { t0.adding(seconds: ms / 1000) }

    func see(_ p: DecodedPacket, at point: CapturePoint, _ ms: Double) {
        changes += c.ingest(packet: p, at: point, time: time(ms))
    }

    func ct(_ e: ConntrackEvent, _ ms: Double) {
        changes += c.ingest(conntrack: e, netns: "hthost", time: time(ms))
    }

    func advance(_ ms: Double) { changes += c.advance(to: time(ms)) }

    var onlyFlow: Flow? { c.allFlows.count == 1 ? c.allFlows[0] : nil }

    /// S2's ping in the order a live run ingests it: ns1/veth1/docker1 and the NATed
    /// enX0 sightings before conntrack's NEW, the reply after, then UPDATE; settled.
    func s2Ping() {
        request(seq: 1, at: 0)
        ct(Lab.pingEntry(.new), 0.16)
        reply(seq: 1, at: 0.3)
        ct(Lab.pingEntry(.update, replied: true), 0.55)
        advance(2000)
    }

    /// ns1's echo request crossing the lab with MASQUERADE at enX0 (`until` stops it early).
    func request(seq: UInt16, at ms: Double, id: UInt16 = 27, idOut: UInt16? = nil, snat: Bool = true,
                 until last: CapturePoint = Lab.remote, from src: String = Lab.ns1IP,
                 hops: [CapturePoint] = [Lab.ns1, Lab.veth1, Lab.docker1, Lab.enX0, Lab.remote]) {
        let ipid = 1000 + seq
        let out = snat ? Lab.hostIP : src
        let sightings: [(CapturePoint, DecodedPacket)] = [
            (hops[0], Lab.echo(src, Lab.remoteIP, id: id, seq: seq, ipid: ipid, dir: .outbound)),
            (hops[1], Lab.echo(src, Lab.remoteIP, id: id, seq: seq, ipid: ipid, dir: .other)),
            (hops[2], Lab.echo(src, Lab.remoteIP, id: id, seq: seq, ipid: ipid, dir: .inbound)),
            (hops[3], Lab.echo(out, Lab.remoteIP, id: idOut ?? id, seq: seq, ipid: ipid, ttl: 63, dir: .outbound)),
            (hops[4], Lab.echo(out, Lab.remoteIP, id: idOut ?? id, seq: seq, ipid: ipid, ttl: 63, dir: .inbound)),
        ]
        for (i, (point, p)) in sightings.enumerated() {
            see(p, at: point, ms + Double(i) * 0.05)
            if point == last { break }
        }
    }

    /// remote's echo reply coming back to ns1 (`until` stops it early).
    func reply(seq: UInt16, at ms: Double, id: UInt16 = 27, idOut: UInt16? = nil, snat: Bool = true,
               until last: CapturePoint = Lab.ns1, to dst: String = Lab.ns1IP,
               hops: [CapturePoint] = [Lab.remote, Lab.enX0, Lab.docker1, Lab.veth1, Lab.ns1]) {
        let ipid = 5000 + seq
        let outer = snat ? Lab.hostIP : dst
        let sightings: [(CapturePoint, DecodedPacket)] = [
            (hops[0], Lab.echo(Lab.remoteIP, outer, reply: true, id: idOut ?? id, seq: seq, ipid: ipid, dir: .outbound)),
            (hops[1], Lab.echo(Lab.remoteIP, outer, reply: true, id: idOut ?? id, seq: seq, ipid: ipid, dir: .inbound)),
            (hops[2], Lab.echo(Lab.remoteIP, dst, reply: true, id: id, seq: seq, ipid: ipid, ttl: 63, dir: .outbound)),
            (hops[3], Lab.echo(Lab.remoteIP, dst, reply: true, id: id, seq: seq, ipid: ipid, ttl: 63, dir: .other)),
            (hops[4], Lab.echo(Lab.remoteIP, dst, reply: true, id: id, seq: seq, ipid: ipid, ttl: 63, dir: .inbound)),
        ]
        for (i, (point, p)) in sightings.enumerated() {
            see(p, at: point, ms + Double(i) * 0.05)
            if point == last { break }
        }
    }
}
