/// tcpdump-like one-line summaries, prefixed with where the packet was seen.
/// Payload bytes are never printed: only decoded header fields. The point's names (chosen
/// in a container, or by whoever wrote a recording) are shown escaped (`TerminalText`).
public enum PacketText {
    public static func line(_ p: DecodedPacket, at point: CapturePoint, time: String) -> String {
        TerminalText.safe(unescaped(p, at: point, time: time))
    }

    static func unescaped(_ p: DecodedPacket, at point: CapturePoint, time: String) -> String {
        let head = "\(time) \(point) \(p.direction.rawValue)"
        if let arp = p.arp {
            return "\(head) ARP, \(ICMPText.arp(arp)), length \(p.length)"
        }
        guard let src = p.src, let dst = p.dst else {
            return "\(head) ethertype 0x\(String(p.etherType, radix: 16)), length \(p.length)"
        }
        let ip = if case .v6 = src { "IP6" } else { "IP" }
        let frag = p.fragment.map { ", frag offset \($0.offset)" + ($0.more ? " [more fragments]" : "") } ?? ""
        let quote = p.quoted.map { ", quoting " + ICMPText.quoted($0) } ?? ""
        let tail = "\(frag), length \(p.length)"
        switch p.transport {
        case .icmp(let type, let code, let id, let seq):
            let ids = id.map { ", id \($0), seq \(seq ?? 0)" } ?? ""
            return "\(head) \(ip) \(src) > \(dst): ICMP \(ICMPText.icmp(type: type, code: code))\(ids)\(quote), ttl \(p.ttl)\(tail)"
        case .icmpv6(let type, let code, let id, let seq):
            let ids = id.map { ", id \($0), seq \(seq ?? 0)" } ?? ""
            return "\(head) \(ip) \(src) > \(dst): ICMP6, \(ICMPText.icmpv6(type: type, code: code))\(ids)\(quote), hlim \(p.ttl)\(tail)"
        case .tcp(let sport, let dport, let flags, let seq, let ack, let window):
            return "\(head) \(ip) \(src).\(sport) > \(dst).\(dport): Flags [\(tcpFlags(flags))], seq \(seq), ack \(ack), win \(window)\(tail)"
        case .udp(let sport, let dport):
            return "\(head) \(ip) \(src).\(sport) > \(dst).\(dport): UDP\(tail)"
        case .other(let proto):
            return "\(head) \(ip) \(src) > \(dst): proto \(proto)\(tail)"
        case .truncated(let proto):
            return "\(head) \(ip) \(src) > \(dst): proto \(proto) [|truncated]\(tail)"
        case nil:
            return "\(head) \(ip) \(src) > \(dst)\(tail)"
        }
    }

    /// tcpdump's letters: S F R P . (ACK) U E W.
    public static func tcpFlags(_ f: UInt8) -> String {
        let names: [(UInt8, String)] = [(0x02, "S"), (0x01, "F"), (0x04, "R"), (0x08, "P"), (0x20, "U"), (0x40, "E"), (0x80, "W"), (0x10, ".")]
        let s = names.filter { f & $0.0 != 0 }.map(\.1).joined()
        return s.isEmpty ? "none" : s
    }
}
