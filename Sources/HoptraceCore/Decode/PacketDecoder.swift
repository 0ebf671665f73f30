// Dispatch only: a link-layer decoder (Ethernet.swift, LinuxSLL.swift, LinuxSLL2.swift,
// RawIP.swift) hands its payload on by EtherType; an IP decoder (IPv4.swift, IPv6.swift)
// hands its payload on by IP protocol number (IANA "Protocol Numbers" registry).
// Each protocol lives in its own file with its RFC cited at the top.

public enum PacketDecoder {
    public static let etherTypeIPv4: UInt16 = 0x0800
    public static let etherTypeARP: UInt16 = 0x0806
    public static let etherTypeIPv6: UInt16 = 0x86DD

    /// The network layer after any link header. Unknown EtherTypes leave `p` as it is.
    static func decodeNetwork(_ etherType: UInt16, _ c: inout ByteCursor, into p: inout DecodedPacket) throws(DecodeError) {
        switch etherType {
        case etherTypeIPv4: try decodeIPv4(&c, into: &p)
        case etherTypeIPv6: try decodeIPv6(&c, into: &p)
        case etherTypeARP: try decodeARP(&c, into: &p)
        default: break
        }
    }

    /// The transport header of an IP datagram (a first or only fragment). A cut
    /// transport header is not an error: the IP header still says who talked to whom.
    static func decodeTransport(_ proto: UInt8, ipv6: Bool, _ c: inout ByteCursor, into p: inout DecodedPacket) {
        do throws(DecodeError) {
            switch proto {
            case IPProtocol.icmp where !ipv6: try decodeICMP(&c, into: &p)
            case IPProtocol.icmpv6 where ipv6: try decodeICMPv6(&c, into: &p)
            case IPProtocol.tcp: p.transport = try decodeTCP(&c)
            case IPProtocol.udp: p.transport = try decodeUDP(&c)
            default: p.transport = .other(proto: proto)
            }
        } catch {
            p.transport = .truncated(proto: proto)
        }
    }
}
