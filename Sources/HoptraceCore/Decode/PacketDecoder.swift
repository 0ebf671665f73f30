// Ethernet II with 802.1Q (IEEE 802.3, 802.1Q), Linux cooked capture v2 (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html),
// IPv4 (RFC 791), ICMP (RFC 792), TCP (RFC 9293), UDP (RFC 768).
// Further protocols (802.1Q, IPv6, ARP, ICMP errors' quoted headers) are the capture issue's work.

public enum PacketDecoder {
    public static let etherTypeIPv4: UInt16 = 0x0800

    /// Decodes one SLL2-framed packet. Throws `truncated` where the bytes end early.
    public static func decodeSLL2(_ bytes: [UInt8], wireLength: Int) throws(DecodeError) -> DecodedPacket {
        var c = ByteCursor(bytes)
        let etherType = try c.u16("sll2")
        try c.skip(2 + 4 + 2, "sll2")  // reserved, ifindex, ARPHRD type
        let packetType = try c.u8("sll2")
        try c.skip(1 + 8, "sll2")  // address length, address
        let dir: PacketDirection = switch packetType {
        case 0: .inbound
        case 4: .outbound
        case 3: .other
        default: .host
        }
        var p = DecodedPacket(direction: dir, etherType: etherType, length: max(0, wireLength - 20))
        guard etherType == etherTypeIPv4 else { return p }
        try decodeIPv4(&c, into: &p)
        return p
    }

    /// Decodes one Ethernet frame. Direction comes from the capture point's own
    /// MAC address: sent by it is `out`, addressed to it `in`, broadcast or multicast `host`.
    public static func decodeEthernet(_ bytes: [UInt8], wireLength: Int, ownMAC: [UInt8]) throws(DecodeError) -> DecodedPacket {
        var c = ByteCursor(bytes)
        try c.skip(12, "ethernet")
        let dstMAC = Array(bytes[0..<6]), srcMAC = Array(bytes[6..<12])
        var etherType = try c.u16("ethernet")
        while etherType == 0x8100 || etherType == 0x88A8 {  // 802.1Q / 802.1ad tags
            try c.skip(2, "802.1q")
            etherType = try c.u16("802.1q")
        }
        let dir: PacketDirection =
            srcMAC == ownMAC ? .outbound
            : dstMAC == ownMAC ? .inbound
            : dstMAC[0] & 1 == 1 ? .host
            : .other
        var p = DecodedPacket(direction: dir, etherType: etherType, length: max(0, wireLength - c.offset))
        guard etherType == etherTypeIPv4 else { return p }
        try decodeIPv4(&c, into: &p)
        return p
    }

    static func decodeIPv4(_ c: inout ByteCursor, into p: inout DecodedPacket) throws(DecodeError) {
        let start = c.offset
        let vihl = try c.u8("ipv4")
        guard vihl >> 4 == 4 else { throw .unsupported("ip version \(vihl >> 4)") }
        let headerLength = Int(vihl & 0x0F) * 4
        guard headerLength >= 20 else { throw .truncated(layer: "ipv4") }
        try c.skip(1, "ipv4")
        p.length = Int(try c.u16("ipv4"))
        p.ipID = try c.u16("ipv4")
        let fragment = try c.u16("ipv4")
        p.ttl = try c.u8("ipv4")
        let proto = try c.u8("ipv4")
        try c.skip(2, "ipv4")
        p.src = .v4(IPv4Address(try c.u32("ipv4")))
        p.dst = .v4(IPv4Address(try c.u32("ipv4")))
        try c.skip(headerLength - (c.offset - start), "ipv4")
        // Only a first fragment carries the transport header.
        guard fragment & 0x1FFF == 0 else {
            p.transport = .other(proto: proto)
            return
        }
        do {
            p.transport = try decodeTransport(proto, &c)
        } catch {
            p.transport = .truncated(proto: proto)
        }
    }

    static func decodeTransport(_ proto: UInt8, _ c: inout ByteCursor) throws(DecodeError) -> DecodedPacket.Transport {
        switch proto {
        case 1:
            let type = try c.u8("icmp"), code = try c.u8("icmp")
            try c.skip(2, "icmp")
            let isEcho = type == 0 || type == 8
            return .icmp(type: type, code: code, id: isEcho ? try c.u16("icmp") : nil, seq: isEcho ? try c.u16("icmp") : nil)
        case 6:
            let sport = try c.u16("tcp"), dport = try c.u16("tcp")
            let seq = try c.u32("tcp"), ack = try c.u32("tcp")
            try c.skip(1, "tcp")
            let flags = try c.u8("tcp")
            return .tcp(sport: sport, dport: dport, flags: flags, seq: seq, ack: ack, window: try c.u16("tcp"))
        case 17:
            return .udp(sport: try c.u16("udp"), dport: try c.u16("udp"))
        default:
            return .other(proto: proto)
        }
    }
}
