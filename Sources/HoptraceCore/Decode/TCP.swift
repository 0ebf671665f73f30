// TCP, RFC 9293 section 3.1: source port, destination port, sequence number,
// acknowledgment number, data offset + reserved, control bits (CWR ECE URG ACK PSH
// RST SYN FIN), window. Options are not read.

extension PacketDecoder {
    static func decodeTCP(_ c: inout ByteCursor) throws(DecodeError) -> DecodedPacket.Transport {
        let sport = try c.u16("tcp"), dport = try c.u16("tcp")
        let seq = try c.u32("tcp"), ack = try c.u32("tcp")
        try c.skip(1, "tcp")  // data offset, reserved
        let flags = try c.u8("tcp")
        let window = try c.u16("tcp")
        return .tcp(sport: sport, dport: dport, flags: flags, seq: seq, ack: ack, window: window)
    }
}
