// UDP, RFC 768: source port, destination port, length, checksum. Only the ports are read.

extension PacketDecoder {
    static func decodeUDP(_ c: inout ByteCursor) throws(DecodeError) -> DecodedPacket.Transport {
        let sport = try c.u16("udp"), dport = try c.u16("udp")
        return .udp(sport: sport, dport: dport)
    }
}
