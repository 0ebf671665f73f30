// Linux cooked capture v1, LINKTYPE_LINUX_SLL (113): a 16-byte pseudo-header
// https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html
//   0 packet type (2)  2 ARPHRD type (2)  4 address length (2)  6 address (8)  14 protocol (2)

extension PacketDecoder {
    /// Decodes one SLL-framed packet (what libpcap gives for the `any` device by default).
    public static func decodeSLL(_ bytes: [UInt8], wireLength: Int) throws(DecodeError) -> DecodedPacket {
        var c = ByteCursor(bytes)
        let packetType = try c.u16("sll")
        try c.skip(2 + 2 + 8, "sll")  // ARPHRD type, address length, address
        let etherType = try c.u16("sll")
        var p = DecodedPacket(direction: cookedDirection(packetType), etherType: etherType, length: max(0, wireLength - 16))
        try decodeNetwork(etherType, &c, into: &p)
        return p
    }

    /// The kernel's PACKET_* type (linux/if_packet.h) as a direction: HOST (0) is
    /// addressed to us, OUTGOING (4) sent by us, OTHERHOST (3) merely seen;
    /// BROADCAST (1), MULTICAST (2) and anything newer count as `host`.
    static func cookedDirection(_ packetType: UInt16) -> PacketDirection {
        switch packetType {
        case 0: .inbound
        case 4: .outbound
        case 3: .other
        default: .host
        }
    }
}
