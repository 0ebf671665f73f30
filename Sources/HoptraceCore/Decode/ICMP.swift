// ICMP, RFC 792: type (1), code (1), checksum (2), then 4 bytes that depend on the
// type: identifier + sequence number for echo (8/0), timestamp (13/14) and
// information (15/16) messages; unused, gateway (redirect) or pointer (parameter
// problem) for the errors, which then quote "the internet header + 64 bits of the
// original data datagram": destination unreachable (3), source quench (4),
// redirect (5), time exceeded (11), parameter problem (12).

extension PacketDecoder {
    static func decodeICMP(_ c: inout ByteCursor, into p: inout DecodedPacket) throws(DecodeError) {
        let type = try c.u8("icmp"), code = try c.u8("icmp")
        try c.skip(2, "icmp")  // checksum
        switch type {
        case 0, 8, 13, 14, 15, 16:
            let id = try c.u16("icmp"), seq = try c.u16("icmp")
            p.transport = .icmp(type: type, code: code, id: id, seq: seq)
        case 3, 4, 5, 11, 12:
            try c.skip(4, "icmp")  // unused / gateway / pointer
            p.transport = .icmp(type: type, code: code, id: nil, seq: nil)
            p.quoted = quotedIPv4(&c)
        default:
            p.transport = .icmp(type: type, code: code, id: nil, seq: nil)
        }
    }
}
