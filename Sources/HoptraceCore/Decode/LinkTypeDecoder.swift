/// Picks the decoder for a capture's link type: tcpdump's LINKTYPE_ values, which
/// equal libpcap's DLT_ values on Linux except raw IP (DLT_RAW is 12 or 14 there,
/// LINKTYPE_RAW 101 in files).
public enum LinkType {
    public static let ethernet = 1
    public static let linuxSLL = 113
    public static let linuxSLL2 = 276
    public static let raw = 101
    public static let rawDLTs: Set<Int> = [12, 14, 101, 228, 229]  // DLT_RAW (two values), LINKTYPE_RAW, IPv4, IPv6

    public static func isSupported(_ linkType: Int) -> Bool {
        linkType == ethernet || linkType == linuxSLL || linkType == linuxSLL2 || rawDLTs.contains(linkType)
    }

    /// The value a capture file must carry for a live handle's DLT.
    public static func fileLinkType(ofDLT dlt: Int) -> Int {
        dlt == 12 || dlt == 14 ? raw : dlt
    }

    public static func decode(_ bytes: [UInt8], wireLength: Int, linkType: Int, ownMAC: [UInt8]) throws(DecodeError) -> DecodedPacket {
        switch linkType {
        case linuxSLL2: try PacketDecoder.decodeSLL2(bytes, wireLength: wireLength)
        case linuxSLL: try PacketDecoder.decodeSLL(bytes, wireLength: wireLength)
        case ethernet: try PacketDecoder.decodeEthernet(bytes, wireLength: wireLength, ownMAC: ownMAC)
        case _ where rawDLTs.contains(linkType): try PacketDecoder.decodeRawIP(bytes, wireLength: wireLength)
        default: throw .unsupported("link type \(linkType)")
        }
    }
}
