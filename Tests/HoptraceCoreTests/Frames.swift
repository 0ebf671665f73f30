import HoptraceCore

/// Builds well-formed frames byte by byte, so each test states what is on the wire.
enum Frames {
    static let ownMAC: [UInt8] = [2, 0, 0, 0, 0, 1]
    static let peerMAC: [UInt8] = [2, 0, 0, 0, 0, 2]
    static let broadcast: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]

    static let ns1: [UInt8] = [172, 18, 0, 3]
    static let bridge: [UInt8] = [172, 18, 0, 1]
    static let remote: [UInt8] = [172, 31, 45, 174]
    /// 2001:db8::1 and 2001:db8::2.
    static let v6a: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1]
    static let v6b: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [2]

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func be32(_ v: UInt32) -> [UInt8] { be16(UInt16(v >> 16)) + be16(UInt16(v & 0xFFFF)) }

    static func ethernet(_ etherType: UInt16, _ payload: [UInt8], dst: [UInt8] = ownMAC, src: [UInt8] = peerMAC) -> [UInt8] {
        dst + src + be16(etherType) + payload
    }

    /// Linux cooked v1: packet type, ARPHRD_ETHER, address length 6, address padded to 8, protocol.
    static func sll(packetType: UInt16, _ etherType: UInt16, _ payload: [UInt8]) -> [UInt8] {
        be16(packetType) + be16(1) + be16(6) + peerMAC + [0, 0] + be16(etherType) + payload
    }

    /// Linux cooked v2: protocol, reserved, ifindex 7, ARPHRD_ETHER, packet type, address length 6, address.
    static func sll2(packetType: UInt8, _ etherType: UInt16, _ payload: [UInt8]) -> [UInt8] {
        be16(etherType) + [0, 0] + be32(7) + be16(1) + [packetType, 6] + peerMAC + [0, 0] + payload
    }

    /// An IPv4 header (no options) + payload; total length is the real one unless given.
    static func ipv4(_ proto: UInt8, src: [UInt8] = ns1, dst: [UInt8] = remote, id: UInt16 = 0x1234, ttl: UInt8 = 64,
                     flagsOffset: UInt16 = 0x4000, totalLength: UInt16? = nil, _ payload: [UInt8]) -> [UInt8] {
        [0x45, 0] + be16(totalLength ?? UInt16(20 + payload.count)) + be16(id) + be16(flagsOffset) + [ttl, proto, 0, 0]
            + src + dst + payload
    }

    static func ipv6(_ next: UInt8, src: [UInt8] = v6a, dst: [UInt8] = v6b, hopLimit: UInt8 = 64, _ payload: [UInt8]) -> [UInt8] {
        [0x60, 0, 0, 0] + be16(UInt16(payload.count)) + [next, hopLimit] + src + dst + payload
    }

    static func udp(_ sport: UInt16, _ dport: UInt16, _ payload: [UInt8] = []) -> [UInt8] {
        be16(sport) + be16(dport) + be16(UInt16(8 + payload.count)) + [0, 0] + payload
    }

    static func tcp(_ sport: UInt16, _ dport: UInt16, seq: UInt32, ack: UInt32, flags: UInt8, window: UInt16) -> [UInt8] {
        be16(sport) + be16(dport) + be32(seq) + be32(ack) + [0x50, flags] + be16(window) + [0, 0, 0, 0]
    }

    /// Echo request/reply (ICMP 8/0, ICMPv6 128/129) with 8 bytes of data.
    static func echo(type: UInt8, id: UInt16, seq: UInt16) -> [UInt8] {
        [type, 0, 0, 0] + be16(id) + be16(seq) + Array(1...8)
    }

    /// An ICMP or ICMPv6 error: type, code, checksum, 4 unused bytes, the quote.
    static func icmpError(type: UInt8, code: UInt8, quoting quote: [UInt8]) -> [UInt8] {
        [type, code, 0, 0, 0, 0, 0, 0] + quote
    }

    /// An ARP packet for Ethernet/IPv4.
    static func arp(op: UInt16, senderIP: [UInt8], targetIP: [UInt8], senderMAC: [UInt8] = peerMAC,
                    targetMAC: [UInt8] = [0, 0, 0, 0, 0, 0]) -> [UInt8] {
        be16(1) + be16(0x0800) + [6, 4] + be16(op) + senderMAC + senderIP + targetMAC + targetIP
    }

    // The shapes the tests share.

    /// 172.31.45.174 tells 172.18.0.3 that UDP 40000 → 53 found no listener (quote: IP header + UDP header).
    static let portUnreachable: [UInt8] = ethernet(0x0800, ipv4(1, src: remote, dst: ns1, id: 0x0101, flagsOffset: 0,
        icmpError(type: 3, code: 3, quoting: Array(ipv4(17, id: 0x4242, totalLength: 36, udp(40000, 53, [1, 2, 3, 4, 5, 6, 7, 8])).prefix(28)))))

    /// The bridge says the echo request 172.18.0.3 → 172.31.45.174 (id 27, seq 1) ran out of TTL.
    static let timeExceeded: [UInt8] = ethernet(0x0800, ipv4(1, src: bridge, dst: ns1, id: 0x0202, ttl: 64, flagsOffset: 0,
        icmpError(type: 11, code: 0, quoting: Array(ipv4(1, id: 7, ttl: 1, totalLength: 84, echo(type: 8, id: 27, seq: 1)).prefix(28)))))

    /// ICMPv6 echo request 2001:db8::1 → 2001:db8::2, id 5, seq 1.
    static let icmpv6Echo: [UInt8] = ethernet(0x86DD, ipv6(58, echo(type: 128, id: 5, seq: 1)))

    /// 2001:db8::2 says UDP 5353 → 53 from 2001:db8::1 found no listener.
    static let icmpv6PortUnreachable: [UInt8] = ethernet(0x86DD, ipv6(58, src: v6b, dst: v6a,
        icmpError(type: 1, code: 4, quoting: ipv6(17, udp(5353, 53, [9, 9, 9, 9])))))

    /// IPv6 → hop-by-hop (PadN to 8 bytes) → fragment (offset 0, M, id 0xDEADBEEF) → UDP 5353 → 53.
    static func ipv6Fragmented(offset: UInt16 = 0, more: Bool = true) -> [UInt8] {
        let hopByHop: [UInt8] = [44, 0, 1, 4, 0, 0, 0, 0]
        let fragment: [UInt8] = [17, 0] + be16(offset | (more ? 1 : 0)) + be32(0xDEAD_BEEF)
        return ethernet(0x86DD, ipv6(0, hopByHop + fragment + udp(5353, 53, [7, 7, 7, 7])))
    }

    /// ARP request: who has 172.18.0.1, tell 172.18.0.3 (broadcast, from the peer).
    static let arpRequest: [UInt8] = ethernet(0x0806, arp(op: 1, senderIP: ns1, targetIP: bridge), dst: broadcast)

    /// A TCP SYN 172.18.0.3.40001 → 172.31.45.174.80, window 64240.
    static let tcpSyn: [UInt8] = ethernet(0x0800, ipv4(6, tcp(40001, 80, seq: 1000, ack: 0, flags: 0x02, window: 64240)))

    static func address(_ b: [UInt8]) -> IPAddress {
        if b.count == 4 { return .v4(IPv4Address(b.reduce(0) { $0 << 8 | UInt32($1) })) }
        let high = b[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }, low = b[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return .v6(IPv6Address(high: high, low: low))
    }
}
