/// tcpdump-like one-line summaries, prefixed with where the packet was seen.
public enum PacketText {
    public static func line(_ p: DecodedPacket, at point: CapturePoint, time: String) -> String {
        let head = "\(time) \(point) \(p.direction.rawValue)"
        guard let src = p.src, let dst = p.dst else {
            return "\(head) ethertype 0x\(String(p.etherType, radix: 16)), length \(p.length)"
        }
        switch p.transport {
        case .icmp(let type, let code, let id, let seq):
            let what = switch type {
            case 8: "echo request"
            case 0: "echo reply"
            case 3: "destination unreachable code \(code)"
            case 11: "time exceeded"
            default: "type \(type) code \(code)"
            }
            let ids = id.map { ", id \($0), seq \(seq ?? 0)" } ?? ""
            return "\(head) IP \(src) > \(dst): ICMP \(what)\(ids), ttl \(p.ttl), length \(p.length)"
        case .tcp(let sport, let dport, let flags, let seq, let ack, _):
            return "\(head) IP \(src).\(sport) > \(dst).\(dport): Flags [\(tcpFlags(flags))], seq \(seq), ack \(ack), length \(p.length)"
        case .udp(let sport, let dport):
            return "\(head) IP \(src).\(sport) > \(dst).\(dport): UDP, length \(p.length)"
        case .icmpv6(let type, let code, _, _):
            return "\(head) IP6 \(src) > \(dst): ICMP6 type \(type) code \(code), length \(p.length)"
        case .other(let proto), .truncated(let proto):
            return "\(head) IP \(src) > \(dst): proto \(proto), length \(p.length)"
        case nil:
            return "\(head) IP \(src) > \(dst), length \(p.length)"
        }
    }

    /// tcpdump's letters: S F R P . (ACK) U E W.
    public static func tcpFlags(_ f: UInt8) -> String {
        let names: [(UInt8, String)] = [(0x02, "S"), (0x01, "F"), (0x04, "R"), (0x08, "P"), (0x20, "U"), (0x40, "E"), (0x80, "W"), (0x10, ".")]
        let s = names.filter { f & $0.0 != 0 }.map(\.1).joined()
        return s.isEmpty ? "none" : s
    }
}
