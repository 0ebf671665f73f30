// The original datagram quoted inside an ICMP error (RFC 792: "internet header + 64
// bits of original data datagram"; RFC 1812 section 4.3.2.3 lets routers quote more)
// or an ICMPv6 error (RFC 4443 section 3: as much as fits). The 64 bits are enough for
// TCP/UDP ports (RFC 9293, RFC 768) and an echo's identifier + sequence number.
// A quote may be cut anywhere: that is never an error for the packet carrying it.

extension PacketDecoder {
    /// The quoted IPv4 header and what follows. Nil unless the quoted IP header is
    /// whole; its ports or echo id/seq stay nil when those bytes are missing.
    static func quotedIPv4(_ c: inout ByteCursor) -> DecodedPacket.Quoted? {
        do throws(DecodeError) {
            let start = c.offset
            let vihl = try c.u8("quote")
            let headerLength = Int(vihl & 0x0F) * 4
            guard vihl >> 4 == 4, headerLength >= 20 else { return nil }
            try c.skip(3, "quote")  // TOS, total length
            let id = try c.u16("quote")
            let flagsOffset = try c.u16("quote")
            try c.skip(1, "quote")  // TTL
            let proto = try c.u8("quote")
            try c.skip(2, "quote")  // checksum
            let src = IPv4Address(try c.u32("quote")), dst = IPv4Address(try c.u32("quote"))
            try c.skip(headerLength - (c.offset - start), "quote")  // options
            var q = DecodedPacket.Quoted(src: .v4(src), dst: .v4(dst), proto: proto, ipID: id)
            // A quoted non-first fragment has no transport header to read.
            if flagsOffset & 0x1FFF == 0 { quotedTransport(&q, echo: proto == IPProtocol.icmp ? (8, 0) : nil, &c) }
            return q
        } catch {
            return nil
        }
    }

    /// The quoted IPv6 header, its extension headers when they are there, and what follows.
    static func quotedIPv6(_ c: inout ByteCursor) -> DecodedPacket.Quoted? {
        guard let header = try? decodeIPv6Header(&c, layer: "quote") else { return nil }
        let chain = walkIPv6Extensions(first: header.nextHeader, &c)
        var q = DecodedPacket.Quoted(src: .v6(header.src), dst: .v6(header.dst), proto: chain.proto,
                                     ipID: UInt16(truncatingIfNeeded: chain.fragmentID ?? 0))
        if !chain.cut, chain.reachedTransport, chain.fragment.map({ $0.offset == 0 }) ?? true {
            quotedTransport(&q, echo: chain.proto == IPProtocol.icmpv6 ? (128, 129) : nil, &c)
        }
        return q
    }

    /// Ports for TCP/UDP, id/seq for an echo request or reply (`echo` names the types);
    /// each pair is set whole or not at all.
    private static func quotedTransport(_ q: inout DecodedPacket.Quoted, echo: (UInt8, UInt8)?, _ c: inout ByteCursor) {
        do throws(DecodeError) {
            switch q.proto {
            case IPProtocol.tcp, IPProtocol.udp:
                let sport = try c.u16("quote"), dport = try c.u16("quote")
                (q.sport, q.dport) = (sport, dport)
            default:
                guard let echo else { return }
                let type = try c.u8("quote")
                try c.skip(3, "quote")  // code, checksum
                guard type == echo.0 || type == echo.1 else { return }
                let id = try c.u16("quote"), seq = try c.u16("quote")
                (q.icmpID, q.icmpSeq) = (id, seq)
            }
        } catch {
            return  // the pairs read whole stay
        }
    }
}
