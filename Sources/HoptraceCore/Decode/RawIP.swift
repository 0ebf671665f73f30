// Raw IP, LINKTYPE_RAW (101; DLT_RAW is 12 or 14 depending on the OS) and
// LINKTYPE_IPV4 (228) / LINKTYPE_IPV6 (229): no link header, the packet starts with
// the IP header and its version nibble says which IP it is.
// https://www.tcpdump.org/linktypes/LINKTYPE_RAW.html

extension PacketDecoder {
    /// Decodes one packet that starts with its IP header (tun devices, WireGuard).
    /// There is no link header to tell the direction, so it is `other`.
    public static func decodeRawIP(_ bytes: [UInt8], wireLength: Int) throws(DecodeError) -> DecodedPacket {
        var peek = ByteCursor(bytes)
        let version = try peek.u8("ip") >> 4
        var c = ByteCursor(bytes)
        let etherType: UInt16
        switch version {
        case 4: etherType = etherTypeIPv4
        case 6: etherType = etherTypeIPv6
        default: throw .unsupported("ip version \(version)")
        }
        var p = DecodedPacket(direction: .other, etherType: etherType, length: max(0, wireLength))
        try decodeNetwork(etherType, &c, into: &p)
        return p
    }
}
