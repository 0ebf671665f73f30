/// The NDJSON lines of `hoptrace watch --json` (fields documented in README.md).
public enum EventJSON {
    public static func packet(_ p: DecodedPacket, at point: CapturePoint, seconds: Int, micros: Int, flow: Int? = nil) -> String {
        packetLine(p, at: point, seconds: seconds, micros: micros, flow: flow).text
    }

    /// The packet line as bytes still to be written (`LineWriter.json`): the hot path of
    /// `--json`, one per packet sighting, never turned into a String.
    public static func packetLine(_ p: DecodedPacket, at point: CapturePoint, seconds: Int, micros: Int, flow: Int? = nil) -> JSONLine {
        // A packet line is ~200-260 bytes: room for it at once (growing past 128 and 256 copied it twice).
        var j = JSONLine(capacity: 320)
        packet(p, at: point, seconds: seconds, micros: micros, flow: flow, into: &j)
        return j
    }

    /// The packet line written onto the end of `buffer` (`LineWriter.json`): no line of its own.
    public static func appendPacketLine(_ p: DecodedPacket, at point: CapturePoint, seconds: Int, micros: Int, flow: Int?,
                                        to buffer: ByteBuffer) {
        var j = JSONLine(appendingTo: buffer)
        packet(p, at: point, seconds: seconds, micros: micros, flow: flow, into: &j)
        j.endLine()
    }

    private static func packet(_ p: DecodedPacket, at point: CapturePoint, seconds: Int, micros: Int, flow: Int?, into j: inout JSONLine) {
        // `header`'s members, with the point's names as the JSON they were turned into once.
        let names = CapturePointNames.shared.entry(point.handle)
        j.add("type", literal: "packet")
        j.addTime("time", seconds: seconds, micros: micros)
        j.addRaw("netns", bytes: names.pointee.netnsJSON)
        if let flow { j.add("flow", flow) }
        j.addRaw("iface", bytes: names.pointee.ifaceJSON)
        j.add("dir", literal: p.direction.word)
        j.add("len", p.length)
        if let arp = p.arp {
            j.add("proto", "arp")
            j.add("arp", Self.arp(arp))
            return
        }
        guard let src = p.src, let dst = p.dst else {
            j.add("proto", "ethertype-0x" + String(p.etherType, radix: 16))
            return
        }
        j.add("src", src)
        j.add("dst", dst)
        j.add("ttl", Int(p.ttl))
        j.add("ipid", Int(p.ipID))
        switch p.transport {
        case .icmp(let type, let code, let id, let seq):
            j.add("proto", literal: "icmp")
            j.addObject("icmp") { icmp(type: type, code: code, id: id, seq: seq, into: &$0) }
        case .icmpv6(let type, let code, let id, let seq):
            j.add("proto", IPProtocol.name(IPProtocol.icmpv6))
            j.addObject("icmp") { icmp(type: type, code: code, id: id, seq: seq, into: &$0) }
        case .tcp(let sport, let dport, let flags, let seq, let ack, let window):
            j.add("proto", literal: "tcp")
            j.add("sport", Int(sport))
            j.add("dport", Int(dport))
            j.add("flags", PacketText.tcpFlags(flags))
            j.add("seq", Int(seq))
            j.add("ack", Int(ack))
            j.add("window", Int(window))
        case .udp(let sport, let dport):
            j.add("proto", literal: "udp")
            j.add("sport", Int(sport))
            j.add("dport", Int(dport))
        case .other(let proto), .truncated(let proto):
            j.add("proto", IPProtocol.name(proto))
        case nil:
            j.add("proto", "ip")
        }
        if let q = p.quoted { j.add("quoted", quoted(q)) }
        if let f = p.fragment {
            j.addObject("frag") { frag in
                frag.add("offset", f.offset)
                frag.add("more", f.more)
            }
        }
    }

    static func icmp(type: UInt8, code: UInt8, id: UInt16?, seq: UInt16?, into icmp: inout JSONLine) {
        icmp.add("type", Int(type))
        icmp.add("code", Int(code))
        if let id { icmp.add("id", Int(id)) }
        if let seq { icmp.add("seq", Int(seq)) }
    }

    /// `{"op":"request"|"reply"|N,"sender":ip,"target":ip}`.
    static func arp(_ a: DecodedPacket.ARP) -> JSONLine {
        var j = JSONLine()
        switch a.operation {
        case 1: j.add("op", "request")
        case 2: j.add("op", "reply")
        default: j.add("op", Int(a.operation))
        }
        j.add("sender", a.senderIP.description)
        j.add("target", a.targetIP.description)
        return j
    }

    /// The datagram an ICMP error quotes: `{src,dst,proto,ipid}` + `sport`/`dport` or `icmp:{id,seq}`.
    static func quoted(_ q: DecodedPacket.Quoted) -> JSONLine {
        var j = JSONLine()
        j.add("src", q.src.description)
        j.add("dst", q.dst.description)
        j.add("proto", IPProtocol.name(q.proto))
        j.add("ipid", Int(q.ipID))
        if let sport = q.sport, let dport = q.dport {
            j.add("sport", Int(sport))
            j.add("dport", Int(dport))
        } else if let id = q.icmpID, let seq = q.icmpSeq {
            var icmp = JSONLine()
            icmp.add("id", Int(id))
            icmp.add("seq", Int(seq))
            j.add("icmp", icmp)
        }
        return j
    }

    public static func conntrack(_ e: ConntrackEvent, netns: String?, seconds: Int, micros: Int, flow: Int? = nil) -> String {
        conntrackLine(e, netns: netns, seconds: seconds, micros: micros, flow: flow).text
    }

    /// The conntrack line as bytes still to be written (`LineWriter.json`).
    public static func conntrackLine(_ e: ConntrackEvent, netns: String?, seconds: Int, micros: Int, flow: Int? = nil) -> JSONLine {
        var j = header("conntrack", netns: netns, seconds: seconds, micros: micros)
        if let flow { j.add("flow", flow) }
        j.add("event", e.kind.rawValue)
        j.add("proto", IPProtocol.name(e.proto))
        j.add("orig", tuple(e.orig))
        j.add("reply", tuple(e.reply))
        j.add("status", e.status.names)
        if let state = e.stateName { j.add("state", state) } else { j.addNull("state") }
        if let t = e.timeout { j.add("timeout", Int(t)) } else { j.addNull("timeout") }
        j.add("mark", Int(e.mark))
        j.add("zone", Int(e.zone))
        j.add("id", Int(e.id))
        if let c = e.counters {
            var o = JSONLine()
            o.add("orig_packets", c.origPackets)
            o.add("orig_bytes", c.origBytes)
            o.add("reply_packets", c.replyPackets)
            o.add("reply_bytes", c.replyBytes)
            j.add("counters", o)
        }
        return j
    }

    /// `type:"stats"`: per capture point packets received / dropped by the kernel, conntrack totals.
    public static func stats(points: [(CapturePoint, received: Int, dropped: Int)], conntrackEvents: Int,
                             conntrackLost: Int, flows: Correlator.Stats? = nil, seconds: Int, micros: Int) -> String {
        var j = header("stats", netns: nil, seconds: seconds, micros: micros)
        let items = points.map { p -> String in
            var o = JSONLine()
            o.add("point", p.0.description)
            o.add("received", p.received)
            o.add("dropped", p.dropped)
            return o.text
        }
        j.addRaw("points", "[" + items.joined(separator: ",") + "]")
        j.add("conntrack_events", conntrackEvents)
        j.add("conntrack_lost", conntrackLost)
        if let flows {
            var f = JSONLine()
            f.add("live", flows.live)
            f.add("created", flows.created)
            f.add("evicted", flows.evicted)
            f.add("merged", flows.merged)
            f.add("ended", flows.ended)
            j.add("flows", f)
        }
        return j.text
    }

    public static func notice(_ kind: String, netns: String?, seconds: Int, micros: Int, message: String) -> String {
        var j = header(kind, netns: netns, seconds: seconds, micros: micros)
        j.add("message", message)
        return j.text
    }

    static func header(_ type: String, netns: String?, seconds: Int, micros: Int) -> JSONLine {
        var j = JSONLine(capacity: 320)
        j.add("type", type)
        j.addTime("time", seconds: seconds, micros: micros)
        if let netns { j.add("netns", netns) } else { j.addNull("netns") }
        return j
    }

    static func tuple(_ t: ConntrackEvent.Tuple) -> JSONLine {
        var j = JSONLine()
        j.add("src", t.src.description)
        j.add("dst", t.dst.description)
        if let icmp = t.icmp {
            var i = JSONLine()
            i.add("type", Int(icmp.type))
            i.add("code", Int(icmp.code))
            i.add("id", Int(icmp.id))
            j.add("icmp", i)
        } else {
            if let s = t.sport { j.add("sport", Int(s)) }
            if let d = t.dport { j.add("dport", Int(d)) }
        }
        return j
    }
}
