// IPv4, RFC 791 section 3.1: version/IHL, TOS, total length, identification,
// flags (reserved, DF, MF) + 13-bit fragment offset in 8-byte units, TTL, protocol,
// checksum, source, destination, options up to IHL * 4 bytes.

extension PacketDecoder {
    static func decodeIPv4(_ c: inout ByteCursor, into p: inout DecodedPacket) throws(DecodeError) {
        let start = c.offset
        let vihl = try c.u8("ipv4")
        guard vihl >> 4 == 4 else { throw .unsupported("ip version \(vihl >> 4)") }
        let headerLength = Int(vihl & 0x0F) * 4
        guard headerLength >= 20 else { throw .truncated(layer: "ipv4") }
        try c.skip(1, "ipv4")  // TOS
        let totalLength = Int(try c.u16("ipv4"))
        p.length = totalLength
        p.ipID = try c.u16("ipv4")
        let flagsOffset = try c.u16("ipv4")
        p.ttl = try c.u8("ipv4")
        let proto = try c.u8("ipv4")
        try c.skip(2, "ipv4")  // checksum
        p.src = .v4(IPv4Address(try c.u32("ipv4")))
        p.dst = .v4(IPv4Address(try c.u32("ipv4")))
        try c.skip(headerLength - (c.offset - start), "ipv4")  // options
        // The datagram ends where its total length says (a bogus 0, as TSO may leave, bounds nothing).
        if totalLength >= headerLength { c.limit(to: totalLength - headerLength) }

        let more = flagsOffset & 0x2000 != 0
        let offset = Int(flagsOffset & 0x1FFF) * 8
        if more || offset != 0 { p.fragment = .init(offset: offset, more: more) }
        // Only a first fragment carries the transport header.
        guard offset == 0 else {
            p.transport = .other(proto: proto)
            return
        }
        decodeTransport(proto, ipv6: false, &c, into: &p)
    }
}
