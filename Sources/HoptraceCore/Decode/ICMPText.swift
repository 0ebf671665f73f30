/// Names for ICMP (RFC 792, RFC 1812 section 5.2.7.1 for codes 9–15), ICMPv6 (RFC 4443,
/// RFC 4861 for neighbour discovery) and ARP (RFC 826) messages, and the quoted
/// datagram of an error, as PacketText prints them.
public enum ICMPText {
    public static func icmp(type: UInt8, code: UInt8) -> String {
        switch type {
        case 0: "echo reply"
        case 8: "echo request"
        case 3:
            switch code {
            case 0: "net unreachable"
            case 1: "host unreachable"
            case 2: "protocol unreachable"
            case 3: "port unreachable"
            case 4: "need to frag"
            case 5: "source route failed"
            case 9, 10, 13: "unreachable - admin prohibited (code \(code))"
            default: "destination unreachable code \(code)"
            }
        case 4: "source quench"
        case 5: "redirect code \(code)"
        case 11: code == 0 ? "time exceeded in-transit" : "ip reassembly time exceeded"
        case 12: "parameter problem code \(code)"
        case 13: "time stamp request"
        case 14: "time stamp reply"
        default: "type \(type) code \(code)"
        }
    }

    public static func icmpv6(type: UInt8, code: UInt8) -> String {
        switch type {
        case 1:
            switch code {
            case 0: "destination unreachable, no route"
            case 1: "destination unreachable, admin prohibited"
            case 3: "destination unreachable, address unreachable"
            case 4: "destination unreachable, port unreachable"
            default: "destination unreachable code \(code)"
            }
        case 2: "packet too big"
        case 3: code == 0 ? "time exceeded in-transit" : "fragment reassembly time exceeded"
        case 4: "parameter problem code \(code)"
        case 128: "echo request"
        case 129: "echo reply"
        case 133: "router solicitation"
        case 134: "router advertisement"
        case 135: "neighbor solicitation"
        case 136: "neighbor advertisement"
        default: "type \(type) code \(code)"
        }
    }

    /// "UDP 172.18.0.3.40000 > 172.31.45.174.53", "ICMP 172.18.0.3 > 172.31.45.174 echo id 27 seq 1".
    public static func quoted(_ q: DecodedPacket.Quoted) -> String {
        let name = switch q.proto {
        case IPProtocol.icmp: "ICMP"
        case IPProtocol.icmpv6: "ICMP6"
        case IPProtocol.tcp: "TCP"
        case IPProtocol.udp: "UDP"
        default: "proto \(q.proto)"
        }
        if let sport = q.sport, let dport = q.dport {
            return "\(name) \(q.src).\(sport) > \(q.dst).\(dport)"
        }
        let echo = q.icmpID.map { " echo id \($0) seq \(q.icmpSeq ?? 0)" } ?? ""
        return "\(name) \(q.src) > \(q.dst)\(echo)"
    }

    /// tcpdump -n's wording; the hardware addresses are not kept, so a reply names its asker instead.
    public static func arp(_ a: DecodedPacket.ARP) -> String {
        switch a.operation {
        case 1: "Request who-has \(a.targetIP) tell \(a.senderIP)"
        case 2: "Reply \(a.senderIP) is-at (for \(a.targetIP))"
        default: "op \(a.operation) \(a.senderIP) > \(a.targetIP)"
        }
    }
}
