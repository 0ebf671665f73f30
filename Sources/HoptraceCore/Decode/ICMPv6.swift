// ICMPv6, RFC 4443: type (1), code (1), checksum (2), then a 4-byte field. Echo
// request (128) and reply (129, section 4) put identifier + sequence number there.
// The errors (section 3) — destination unreachable (1), packet too big (2, MTU),
// time exceeded (3), parameter problem (4, pointer) — then quote "as much of the
// invoking packet as possible", which starts with its IPv6 header.

extension PacketDecoder {
    static func decodeICMPv6(_ c: inout ByteCursor, into p: inout DecodedPacket) throws(DecodeError) {
        let type = try c.u8("icmp6"), code = try c.u8("icmp6")
        try c.skip(2, "icmp6")  // checksum
        switch type {
        case 128, 129:
            let id = try c.u16("icmp6"), seq = try c.u16("icmp6")
            p.transport = .icmpv6(type: type, code: code, id: id, seq: seq)
        case 1, 2, 3, 4:
            try c.skip(4, "icmp6")  // unused / MTU / pointer
            p.transport = .icmpv6(type: type, code: code, id: nil, seq: nil)
            p.quoted = quotedIPv6(&c)
        default:
            p.transport = .icmpv6(type: type, code: code, id: nil, seq: nil)
        }
    }
}
