// Linux cooked capture v2, LINKTYPE_LINUX_SLL2 (276): a 20-byte pseudo-header
// https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html
//   0 protocol (2)  2 reserved (2)  4 ifindex (4)  8 ARPHRD type (2)  10 packet type (1)
//   11 address length (1)  12 address (8)

extension PacketDecoder {
    /// Decodes one SLL2-framed packet. Throws `truncated` where the bytes end early.
    public static func decodeSLL2(_ bytes: [UInt8], wireLength: Int) throws(DecodeError) -> DecodedPacket {
        var c = ByteCursor(bytes)
        let etherType = try c.u16("sll2")
        try c.skip(2 + 4 + 2, "sll2")  // reserved, ifindex, ARPHRD type
        let packetType = try c.u8("sll2")
        try c.skip(1 + 8, "sll2")  // address length, address
        var p = DecodedPacket(direction: cookedDirection(UInt16(packetType)), etherType: etherType,
                              length: max(0, wireLength - 20))
        try decodeNetwork(etherType, &c, into: &p)
        return p
    }
}
