import Testing
import HoptraceCore

/// One well-formed packet per protocol and link type, every field asserted.
@Suite struct ProtocolDecodeTests {
    typealias Quoted = DecodedPacket.Quoted
    static let ns1 = Frames.address(Frames.ns1), bridge = Frames.address(Frames.bridge), remote = Frames.address(Frames.remote)
    static let v6a = Frames.address(Frames.v6a), v6b = Frames.address(Frames.v6b)

    @Test func icmpPortUnreachableQuotesTheUDPDatagram() throws {
        let f = Frames.portUnreachable
        let p = try PacketDecoder.decodeEthernet(f, wireLength: f.count, ownMAC: Frames.ownMAC)
        #expect(p.direction == .inbound && p.etherType == 0x0800)
        #expect(p.src == Self.remote && p.dst == Self.ns1)
        #expect(p.ipID == 0x0101 && p.ttl == 64 && p.length == 56 && p.fragment == nil)
        #expect(p.transport == .icmp(type: 3, code: 3, id: nil, seq: nil))
        #expect(p.quoted == Quoted(src: Self.ns1, dst: Self.remote, proto: 17, ipID: 0x4242, sport: 40000, dport: 53))
        #expect(p.proto == 1)
    }

    @Test func timeExceededQuotesTheEchoRequest() throws {
        let f = Frames.timeExceeded
        let p = try PacketDecoder.decodeEthernet(f, wireLength: f.count, ownMAC: Frames.ownMAC)
        #expect(p.src == Self.bridge && p.dst == Self.ns1 && p.ipID == 0x0202)
        #expect(p.transport == .icmp(type: 11, code: 0, id: nil, seq: nil))
        #expect(p.quoted == Quoted(src: Self.ns1, dst: Self.remote, proto: 1, ipID: 7, icmpID: 27, icmpSeq: 1))
    }

    @Test func everyICMPErrorTypeQuotes() throws {
        for type: UInt8 in [3, 4, 5, 11, 12] {
            let f = Frames.ethernet(0x0800, Frames.ipv4(1, src: Frames.remote, dst: Frames.ns1,
                Frames.icmpError(type: type, code: 0, quoting: Frames.ipv4(6, Frames.tcp(40001, 80, seq: 1, ack: 0, flags: 2, window: 1)))))
            let p = try PacketDecoder.decodeEthernet(f, wireLength: f.count, ownMAC: Frames.ownMAC)
            #expect(p.quoted == Quoted(src: Self.ns1, dst: Self.remote, proto: 6, ipID: 0x1234, sport: 40001, dport: 80), "type \(type)")
        }
        // A timestamp request keeps id/seq and quotes nothing.
        let ts = Frames.ethernet(0x0800, Frames.ipv4(1, [13, 0, 0, 0, 0, 9, 0, 2] + Array(repeating: 0, count: 12)))
        let p = try PacketDecoder.decodeEthernet(ts, wireLength: ts.count, ownMAC: Frames.ownMAC)
        #expect(p.transport == .icmp(type: 13, code: 0, id: 9, seq: 2) && p.quoted == nil)
    }

    /// A quote of a non-first fragment has no ports to read.
    @Test func aQuotedNonFirstFragmentHasNoPorts() throws {
        let f = Frames.ethernet(0x0800, Frames.ipv4(1, src: Frames.remote, dst: Frames.ns1,
            Frames.icmpError(type: 3, code: 3, quoting: Frames.ipv4(17, flagsOffset: 185, Frames.udp(1, 2)))))
        let p = try PacketDecoder.decodeEthernet(f, wireLength: f.count, ownMAC: Frames.ownMAC)
        #expect(p.quoted == Quoted(src: Self.ns1, dst: Self.remote, proto: 17, ipID: 0x1234))
    }

    @Test func icmpv6Echo() throws {
        let f = Frames.icmpv6Echo
        let p = try PacketDecoder.decodeEthernet(f, wireLength: f.count, ownMAC: Frames.ownMAC)
        #expect(p.direction == .inbound && p.etherType == 0x86DD)
        #expect(p.src?.description == "2001:db8::1" && p.dst?.description == "2001:db8::2")
        #expect(p.ttl == 64 && p.length == 56 && p.ipID == 0 && p.fragment == nil && p.quoted == nil)
        #expect(p.transport == .icmpv6(type: 128, code: 0, id: 5, seq: 1))
        #expect(p.proto == 58)
    }

    @Test func icmpv6PortUnreachableQuotesTheIPv6Datagram() throws {
        let f = Frames.icmpv6PortUnreachable
        let p = try PacketDecoder.decodeEthernet(f, wireLength: f.count, ownMAC: Frames.ownMAC)
        #expect(p.src == Self.v6b && p.dst == Self.v6a)
        #expect(p.transport == .icmpv6(type: 1, code: 4, id: nil, seq: nil))
        #expect(p.quoted == Quoted(src: Self.v6a, dst: Self.v6b, proto: 17, ipID: 0, sport: 5353, dport: 53))
    }

    @Test func icmpv6TimeExceededQuotesAnEcho() throws {
        let f = Frames.ethernet(0x86DD, Frames.ipv6(58, src: Frames.v6b, dst: Frames.v6a,
            Frames.icmpError(type: 3, code: 0, quoting: Frames.ipv6(58, Frames.echo(type: 128, id: 5, seq: 9)))))
        let p = try PacketDecoder.decodeEthernet(f, wireLength: f.count, ownMAC: Frames.ownMAC)
        #expect(p.quoted == Quoted(src: Self.v6a, dst: Self.v6b, proto: 58, ipID: 0, icmpID: 5, icmpSeq: 9))
    }

    @Test func ipv6HopByHopThenFragmentThenUDP() throws {
        let f = Frames.ipv6Fragmented()
        let p = try PacketDecoder.decodeEthernet(f, wireLength: f.count, ownMAC: Frames.ownMAC)
        #expect(p.fragment == .init(offset: 0, more: true))
        #expect(p.ipID == 0xBEEF)
        #expect(p.length == 40 + 8 + 8 + 12)
        #expect(p.transport == .udp(sport: 5353, dport: 53))
    }

    @Test func ipv6NonFirstFragmentHasNoTransport() throws {
        let f = Frames.ipv6Fragmented(offset: 1448, more: false)
        let p = try PacketDecoder.decodeEthernet(f, wireLength: f.count, ownMAC: Frames.ownMAC)
        #expect(p.fragment == .init(offset: 1448, more: false))
        #expect(p.ipID == 0xBEEF)
        #expect(p.transport == .other(proto: 17))
    }

    @Test func ipv6RoutingAndDestinationOptionsAreWalked() throws {
        let routing: [UInt8] = [60, 2, 0, 0, 0, 0, 0, 0] + Array(repeating: 0, count: 16)  // 24 bytes
        let destOpts: [UInt8] = [6, 0, 1, 4, 0, 0, 0, 0]
        let f = Frames.ethernet(0x86DD, Frames.ipv6(43, routing + destOpts + Frames.tcp(1, 2, seq: 3, ack: 4, flags: 0x10, window: 5)))
        let p = try PacketDecoder.decodeEthernet(f, wireLength: f.count, ownMAC: Frames.ownMAC)
        #expect(p.transport == .tcp(sport: 1, dport: 2, flags: 0x10, seq: 3, ack: 4, window: 5))
        #expect(p.fragment == nil)
    }

    @Test func ipv6StopsAtESPAndNoNextHeader() throws {
        for next: UInt8 in [50, 59] {
            let f = Frames.ethernet(0x86DD, Frames.ipv6(0, [next, 0, 1, 4, 0, 0, 0, 0] + Array(repeating: 0xAB, count: 16)))
            let p = try PacketDecoder.decodeEthernet(f, wireLength: f.count, ownMAC: Frames.ownMAC)
            #expect(p.transport == .other(proto: next))
        }
    }

    @Test func ipv4FirstAndNonFirstFragments() throws {
        let first = Frames.ethernet(0x0800, Frames.ipv4(17, flagsOffset: 0x2000, Frames.udp(5353, 53)))
        let p1 = try PacketDecoder.decodeEthernet(first, wireLength: first.count, ownMAC: Frames.ownMAC)
        #expect(p1.fragment == .init(offset: 0, more: true))
        #expect(p1.transport == .udp(sport: 5353, dport: 53))

        let later = Frames.ethernet(0x0800, Frames.ipv4(17, flagsOffset: 185, totalLength: 548, [1, 2, 3, 4, 5, 6, 7, 8]))
        let p2 = try PacketDecoder.decodeEthernet(later, wireLength: later.count, ownMAC: Frames.ownMAC)
        #expect(p2.fragment == .init(offset: 1480, more: false))
        #expect(p2.transport == .other(proto: 17))
        #expect(p2.ipID == 0x1234 && p2.length == 548)

        // DF alone is not a fragment.
        let whole = try PacketDecoder.decodeEthernet(Frames.tcpSyn, wireLength: Frames.tcpSyn.count, ownMAC: Frames.ownMAC)
        #expect(whole.fragment == nil)
    }

    /// ICMP belongs to IPv4 and ICMPv6 to IPv6: the other family's number is just a protocol.
    @Test func icmpOfTheWrongFamilyIsOther() throws {
        let v6 = Frames.ethernet(0x86DD, Frames.ipv6(1, Frames.echo(type: 8, id: 1, seq: 1)))
        #expect(try PacketDecoder.decodeEthernet(v6, wireLength: v6.count, ownMAC: Frames.ownMAC).transport == .other(proto: 1))
        let v4 = Frames.ethernet(0x0800, Frames.ipv4(58, Frames.echo(type: 128, id: 1, seq: 1)))
        #expect(try PacketDecoder.decodeEthernet(v4, wireLength: v4.count, ownMAC: Frames.ownMAC).transport == .other(proto: 58))
    }

    @Test func tcpCarriesItsWindow() throws {
        let p = try PacketDecoder.decodeEthernet(Frames.tcpSyn, wireLength: Frames.tcpSyn.count, ownMAC: Frames.ownMAC)
        #expect(p.transport == .tcp(sport: 40001, dport: 80, flags: 0x02, seq: 1000, ack: 0, window: 64240))
        #expect(p.length == 40)
    }

    /// The IP total length bounds the payload: bytes past it (Ethernet padding) are not read as headers.
    @Test func theDatagramLengthBoundsItsPayload() throws {
        let f = Frames.ethernet(0x0800, Frames.ipv4(6, totalLength: 30, Frames.tcp(1, 2, seq: 3, ack: 4, flags: 2, window: 5)))
        let p = try PacketDecoder.decodeEthernet(f, wireLength: f.count, ownMAC: Frames.ownMAC)
        #expect(p.transport == .truncated(proto: 6))
    }

    @Test func arpRequestAndReply() throws {
        let f = Frames.arpRequest
        let p = try PacketDecoder.decodeEthernet(f, wireLength: f.count, ownMAC: Frames.ownMAC)
        #expect(p.direction == .host && p.etherType == 0x0806 && p.length == 28)
        #expect(p.arp == .init(operation: 1, senderIP: IPv4Address(0xAC12_0003), targetIP: IPv4Address(0xAC12_0001)))
        #expect(p.src == nil && p.transport == nil && p.proto == nil)

        let reply = Frames.ethernet(0x0806, Frames.arp(op: 2, senderIP: Frames.bridge, targetIP: Frames.ns1), dst: Frames.peerMAC, src: Frames.ownMAC)
        let r = try PacketDecoder.decodeEthernet(reply, wireLength: 60, ownMAC: Frames.ownMAC)
        #expect(r.direction == .outbound && r.length == 46)
        #expect(r.arp == .init(operation: 2, senderIP: IPv4Address(0xAC12_0001), targetIP: IPv4Address(0xAC12_0003)))
    }

    @Test func arpOfAnotherShapeIsLeftAtItsEtherType() throws {
        // Hardware type 6 (IEEE 802), and IPv4 with a 16-byte protocol length: legal shapes we do not read.
        for header: [UInt8] in [[0, 6, 8, 0, 6, 4, 0, 1], [0, 1, 8, 0, 6, 16, 0, 1]] {
            let f = Frames.ethernet(0x0806, header + Array(repeating: 0, count: 4))
            let p = try PacketDecoder.decodeEthernet(f, wireLength: f.count, ownMAC: Frames.ownMAC)
            #expect(p.etherType == 0x0806 && p.arp == nil)
        }
    }

    @Test func qinqTagsAreSkipped() throws {
        let f = Frames.ownMAC + Frames.peerMAC + [0x88, 0xA8, 0, 10, 0x81, 0x00, 0, 20, 0x86, 0xDD]
            + Frames.ipv6(58, Frames.echo(type: 129, id: 5, seq: 2))
        let p = try PacketDecoder.decodeEthernet(f, wireLength: f.count, ownMAC: Frames.ownMAC)
        #expect(p.etherType == 0x86DD && p.transport == .icmpv6(type: 129, code: 0, id: 5, seq: 2))
        #expect(p.length == 56)
    }

    @Test func sllV1FramingAndDirections() throws {
        let ip = Frames.ipv4(1, Frames.echo(type: 8, id: 27, seq: 1))
        let expected: [(UInt16, PacketDirection)] = [(0, .inbound), (1, .host), (2, .host), (3, .other), (4, .outbound)]
        for (type, dir) in expected {
            let f = Frames.sll(packetType: type, 0x0800, ip)
            let p = try PacketDecoder.decodeSLL(f, wireLength: f.count)
            #expect(p.direction == dir, "packet type \(type)")
            #expect(p.etherType == 0x0800 && p.src == Self.ns1 && p.dst == Self.remote)
            #expect(p.transport == .icmp(type: 8, code: 0, id: 27, seq: 1) && p.length == 36)
        }
        let arp = Frames.sll(packetType: 1, 0x0806, Frames.arp(op: 1, senderIP: Frames.ns1, targetIP: Frames.bridge))
        #expect(try PacketDecoder.decodeSLL(arp, wireLength: arp.count).arp?.operation == 1)
    }

    @Test func sll2CarriesIPv6() throws {
        let f = Frames.sll2(packetType: 4, 0x86DD, Frames.ipv6(58, Frames.echo(type: 128, id: 5, seq: 1)))
        let p = try PacketDecoder.decodeSLL2(f, wireLength: f.count)
        #expect(p.direction == .outbound && p.length == 56)
        #expect(p.transport == .icmpv6(type: 128, code: 0, id: 5, seq: 1))
    }

    @Test func rawIPPicksTheVersionFromTheFirstNibble() throws {
        let v4 = Frames.ipv4(17, Frames.udp(40000, 53))
        let p4 = try PacketDecoder.decodeRawIP(v4, wireLength: v4.count)
        #expect(p4.direction == .other && p4.etherType == 0x0800 && p4.length == 28)
        #expect(p4.src == Self.ns1 && p4.transport == .udp(sport: 40000, dport: 53))

        let v6 = Frames.ipv6(58, Frames.echo(type: 129, id: 5, seq: 1))
        let p6 = try PacketDecoder.decodeRawIP(v6, wireLength: v6.count)
        #expect(p6.direction == .other && p6.etherType == 0x86DD && p6.src == Self.v6a)
        #expect(p6.transport == .icmpv6(type: 129, code: 0, id: 5, seq: 1))

        #expect(throws: DecodeError.unsupported("ip version 5")) { try PacketDecoder.decodeRawIP([0x50] + v4.dropFirst(), wireLength: 28) }
        #expect(throws: DecodeError.truncated(layer: "ip")) { try PacketDecoder.decodeRawIP([], wireLength: 0) }
    }
}
