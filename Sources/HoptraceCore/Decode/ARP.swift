// ARP, RFC 826: hardware type (2), protocol type (2), hardware length (1), protocol
// length (1), operation (2; 1 request, 2 reply), then sender and target hardware and
// protocol addresses. Only Ethernet/IPv4 (1, 0x0800, 6, 4) is decoded; any other
// shape is legal ARP we merely do not read, so it is left at its EtherType.

extension PacketDecoder {
    static func decodeARP(_ c: inout ByteCursor, into p: inout DecodedPacket) throws(DecodeError) {
        let hardwareType = try c.u16("arp"), protocolType = try c.u16("arp")
        let hardwareLength = try c.u8("arp"), protocolLength = try c.u8("arp")
        let operation = try c.u16("arp")
        guard hardwareType == 1, protocolType == etherTypeIPv4, hardwareLength == 6, protocolLength == 4 else { return }
        try c.skip(6, "arp")  // sender hardware address
        let sender = IPv4Address(try c.u32("arp"))
        try c.skip(6, "arp")  // target hardware address
        let target = IPv4Address(try c.u32("arp"))
        p.arp = .init(operation: operation, senderIP: sender, targetIP: target)
    }
}
