// IPv6, RFC 8200: a fixed 40-byte header (section 3: version, traffic class, flow
// label, payload length, next header, hop limit, source, destination), then a chain of
// extension headers (section 4): hop-by-hop options (0), routing (43) and destination
// options (60) share the "next header, length in 8-octet units not counting the first
// 8" shape (4.3, 4.4, 4.6); the fragment header (44, section 4.5) is 8 bytes with a
// 13-bit offset in 8-octet units, the M flag and a 32-bit identification.
// ESP (50, RFC 4303) encrypts what follows and No Next Header (59) ends the chain.

extension PacketDecoder {
    /// At most this many extension headers are walked: garbage cannot loop us.
    static let maxIPv6ExtensionHeaders = 8

    static func decodeIPv6(_ c: inout ByteCursor, into p: inout DecodedPacket) throws(DecodeError) {
        let header = try decodeIPv6Header(&c, layer: "ipv6")
        p.src = .v6(header.src)
        p.dst = .v6(header.dst)
        p.ttl = header.hopLimit
        p.length = header.payloadLength + 40
        // Payload length 0 is a jumbogram (RFC 2675) or a TSO frame: it bounds nothing.
        if header.payloadLength > 0 { c.limit(to: header.payloadLength) }

        let chain = walkIPv6Extensions(first: header.nextHeader, &c)
        if chain.cut {
            // The fixed header is whole but an extension header is cut: say which one.
            p.transport = .truncated(proto: chain.proto)
            return
        }
        if let id = chain.fragmentID { p.ipID = UInt16(truncatingIfNeeded: id) }
        p.fragment = chain.fragment
        guard chain.reachedTransport, chain.fragment.map({ $0.offset == 0 }) ?? true else {
            p.transport = .other(proto: chain.proto)
            return
        }
        decodeTransport(chain.proto, ipv6: true, &c, into: &p)
    }

    struct IPv6Header {
        var payloadLength: Int
        var nextHeader: UInt8
        var hopLimit: UInt8
        var src: IPv6Address
        var dst: IPv6Address
    }

    /// The fixed header; also read for the datagram an ICMPv6 error quotes.
    static func decodeIPv6Header(_ c: inout ByteCursor, layer: String) throws(DecodeError) -> IPv6Header {
        let first = try c.u8(layer)
        guard first >> 4 == 6 else { throw .unsupported("ip version \(first >> 4)") }
        try c.skip(3, layer)  // rest of traffic class, flow label
        let payloadLength = Int(try c.u16(layer))
        let nextHeader = try c.u8(layer), hopLimit = try c.u8(layer)
        let src = IPv6Address(high: try c.u64(layer), low: try c.u64(layer))
        let dst = IPv6Address(high: try c.u64(layer), low: try c.u64(layer))
        return IPv6Header(payloadLength: payloadLength, nextHeader: nextHeader, hopLimit: hopLimit, src: src, dst: dst)
    }

    struct IPv6Chain {
        /// The protocol after the last header walked: the transport's, or 50/59, or
        /// the extension header at which the walk stopped.
        var proto: UInt8
        var fragment: DecodedPacket.Fragment?
        var fragmentID: UInt32?
        /// False when the walk stopped at ESP, No Next Header, or the header limit.
        var reachedTransport = true
        /// The extension header `proto` is cut off.
        var cut = false
    }

    /// Walks the extension headers; never throws: a cut header sets `cut`.
    static func walkIPv6Extensions(first: UInt8, _ c: inout ByteCursor) -> IPv6Chain {
        var chain = IPv6Chain(proto: first)
        do throws(DecodeError) {
            for _ in 0..<maxIPv6ExtensionHeaders {
                guard try walkOneIPv6Extension(&chain, &c) else { return chain }
            }
            // Still inside the chain after the limit: give up on the transport.
            if isIPv6Extension(chain.proto) { chain.reachedTransport = false }
        } catch {
            chain.cut = true
        }
        return chain
    }

    static func isIPv6Extension(_ proto: UInt8) -> Bool {
        switch proto {
        case IPProtocol.ipv6HopByHop, IPProtocol.ipv6Routing, IPProtocol.ipv6Fragment, IPProtocol.ipv6DestinationOptions: true
        default: false
        }
    }

    /// Reads the header `chain.proto` names; `chain` changes only once it is read whole.
    /// Returns false when the chain ends here.
    private static func walkOneIPv6Extension(_ chain: inout IPv6Chain, _ c: inout ByteCursor) throws(DecodeError) -> Bool {
        switch chain.proto {
        case IPProtocol.ipv6HopByHop, IPProtocol.ipv6Routing, IPProtocol.ipv6DestinationOptions:
            let next = try c.u8("ipv6")
            let units = Int(try c.u8("ipv6"))
            try c.skip(6 + units * 8, "ipv6")
            chain.proto = next
            return true
        case IPProtocol.ipv6Fragment:
            let next = try c.u8("ipv6")
            try c.skip(1, "ipv6")  // reserved
            let offsetFlags = try c.u16("ipv6")
            let id = try c.u32("ipv6")
            let offset = Int(offsetFlags & 0xFFF8)  // 13 bits of 8-octet units = bytes
            let more = offsetFlags & 1 != 0
            chain.fragmentID = id
            // An atomic fragment (RFC 6946: offset 0, no M flag) is a whole datagram.
            if more || offset != 0 { chain.fragment = .init(offset: offset, more: more) }
            chain.proto = next
            return true
        case IPProtocol.esp, IPProtocol.ipv6NoNextHeader:
            chain.reachedTransport = false
            return false
        default:
            return false
        }
    }
}
