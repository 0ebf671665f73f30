// Ethernet II (IEEE 802.3 clause 3.2.6, EtherType at offset 12) with IEEE 802.1Q
// customer VLAN tags (TPID 0x8100) and IEEE 802.1ad service tags (TPID 0x88A8),
// stacked in any number: https://www.tcpdump.org/linktypes/LINKTYPE_ETHERNET.html

extension PacketDecoder {
    /// Decodes one Ethernet frame. Direction comes from the capture point's own
    /// MAC address: sent by it is `out`, addressed to it `in`, broadcast or multicast `host`.
    public static func decodeEthernet(_ bytes: [UInt8], wireLength: Int, ownMAC: [UInt8]) throws(DecodeError) -> DecodedPacket {
        var c = ByteCursor(bytes)
        // The MACs are compared where they lie (copying them out cost more than the IP header's decoding).
        try c.skip(12, "ethernet")
        var etherType = try c.u16("ethernet")
        while etherType == 0x8100 || etherType == 0x88A8 {  // each tag: TCI, then the next EtherType
            try c.skip(2, "802.1q")
            etherType = try c.u16("802.1q")
        }
        func isOwn(at start: Int) -> Bool {
            guard ownMAC.count == 6 else { return false }
            for k in 0..<6 where bytes[start + k] != ownMAC[k] { return false }
            return true
        }
        let dir: PacketDirection =
            isOwn(at: 6) ? .outbound
            : isOwn(at: 0) ? .inbound
            : bytes[0] & 1 == 1 ? .host
            : .other
        var p = DecodedPacket(direction: dir, etherType: etherType, length: max(0, wireLength - c.offset))
        try decodeNetwork(etherType, &c, into: &p)
        return p
    }
}
