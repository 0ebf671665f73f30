/// Picks the decoder for a capture's link type (tcpdump's LINKTYPE_ values,
/// which libpcap's DLT_ values equal on Linux for these).
public enum LinkType {
    public static let ethernet = 1
    public static let linuxSLL2 = 276

    public static func isSupported(_ linkType: Int) -> Bool {
        linkType == ethernet || linkType == linuxSLL2
    }

    public static func decode(_ bytes: [UInt8], wireLength: Int, linkType: Int, ownMAC: [UInt8]) throws(DecodeError) -> DecodedPacket {
        switch linkType {
        case linuxSLL2: try PacketDecoder.decodeSLL2(bytes, wireLength: wireLength)
        case ethernet: try PacketDecoder.decodeEthernet(bytes, wireLength: wireLength, ownMAC: ownMAC)
        default: throw .unsupported("link type \(linkType)")
        }
    }
}
