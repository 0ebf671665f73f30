import Testing
import HoptraceCore

/// Every prefix of every well-formed frame, and hand-made garbage for every entry point:
/// a clean `truncated` error naming the layer, or a partial decode that says what is missing.
@Suite struct TruncationTests {
    typealias Quoted = DecodedPacket.Quoted
    typealias Transport = DecodedPacket.Transport

    enum Outcome: Equatable {
        case error(DecodeError)
        case decoded(Transport?, quoted: Quoted? = nil, arp: DecodedPacket.ARP? = nil, fragment: DecodedPacket.Fragment? = nil)
    }

    static func ethernet(_ b: [UInt8]) throws(DecodeError) -> DecodedPacket {
        try PacketDecoder.decodeEthernet(b, wireLength: b.count, ownMAC: Frames.ownMAC)
    }

    /// Checks the outcome of every prefix 0...frame.count against `expected(n)`.
    static func checkPrefixes(_ frame: [UInt8], _ decode: ([UInt8]) throws(DecodeError) -> DecodedPacket,
                              expected: (Int) -> Outcome, sourceLocation: SourceLocation = #_sourceLocation) {
        for n in 0...frame.count {
            let got: Outcome
            do {
                let p = try decode(Array(frame.prefix(n)))
                got = .decoded(p.transport, quoted: p.quoted, arp: p.arp, fragment: p.fragment)
            } catch {
                got = .error(error)
            }
            #expect(got == expected(n), "prefix \(n) of \(frame.count)", sourceLocation: sourceLocation)
        }
    }

    static let ns1 = Frames.address(Frames.ns1), remote = Frames.address(Frames.remote)
    static let v6a = Frames.address(Frames.v6a), v6b = Frames.address(Frames.v6b)

    @Test func icmpErrorQuotingUDP() {
        // 14 Ethernet | 20 IPv4 | 8 ICMP | 20 quoted IPv4 | 8 quoted UDP
        Self.checkPrefixes(Frames.portUnreachable, Self.ethernet) { n in
            switch n {
            case ..<14: .error(.truncated(layer: "ethernet"))
            case ..<34: .error(.truncated(layer: "ipv4"))
            case ..<42: .decoded(.truncated(proto: 1))
            case ..<62: .decoded(.icmp(type: 3, code: 3, id: nil, seq: nil))  // quote cut inside its IP header: nil
            case ..<66: .decoded(.icmp(type: 3, code: 3, id: nil, seq: nil),
                                 quoted: Quoted(src: Self.ns1, dst: Self.remote, proto: 17, ipID: 0x4242))
            default: .decoded(.icmp(type: 3, code: 3, id: nil, seq: nil),
                              quoted: Quoted(src: Self.ns1, dst: Self.remote, proto: 17, ipID: 0x4242, sport: 40000, dport: 53))
            }
        }
    }

    @Test func timeExceededQuotingAnEcho() {
        Self.checkPrefixes(Frames.timeExceeded, Self.ethernet) { n in
            let partial = Quoted(src: Self.ns1, dst: Self.remote, proto: 1, ipID: 7)
            return switch n {
            case ..<14: .error(.truncated(layer: "ethernet"))
            case ..<34: .error(.truncated(layer: "ipv4"))
            case ..<42: .decoded(.truncated(proto: 1))
            case ..<62: .decoded(.icmp(type: 11, code: 0, id: nil, seq: nil))
            case ..<70: .decoded(.icmp(type: 11, code: 0, id: nil, seq: nil), quoted: partial)
            default: .decoded(.icmp(type: 11, code: 0, id: nil, seq: nil),
                              quoted: Quoted(src: Self.ns1, dst: Self.remote, proto: 1, ipID: 7, icmpID: 27, icmpSeq: 1))
            }
        }
    }

    @Test func icmpv6Echo() {
        // 14 Ethernet | 40 IPv6 | 8 ICMPv6 echo | 8 data
        Self.checkPrefixes(Frames.icmpv6Echo, Self.ethernet) { n in
            switch n {
            case ..<14: .error(.truncated(layer: "ethernet"))
            case ..<54: .error(.truncated(layer: "ipv6"))
            case ..<62: .decoded(.truncated(proto: 58))
            default: .decoded(.icmpv6(type: 128, code: 0, id: 5, seq: 1))
            }
        }
    }

    @Test func icmpv6ErrorQuotingUDP() {
        // 14 Ethernet | 40 IPv6 | 8 ICMPv6 | 40 quoted IPv6 | 8 quoted UDP | 4 data
        Self.checkPrefixes(Frames.icmpv6PortUnreachable, Self.ethernet) { n in
            let error = Transport.icmpv6(type: 1, code: 4, id: nil, seq: nil)
            return switch n {
            case ..<14: .error(.truncated(layer: "ethernet"))
            case ..<54: .error(.truncated(layer: "ipv6"))
            case ..<62: .decoded(.truncated(proto: 58))
            case ..<102: .decoded(error)
            case ..<106: .decoded(error, quoted: Quoted(src: Self.v6a, dst: Self.v6b, proto: 17))
            default: .decoded(error, quoted: Quoted(src: Self.v6a, dst: Self.v6b, proto: 17, sport: 5353, dport: 53))
            }
        }
    }

    @Test func ipv6ExtensionHeaders() {
        // 14 Ethernet | 40 IPv6 | 8 hop-by-hop | 8 fragment | 8 UDP | 4 data
        Self.checkPrefixes(Frames.ipv6Fragmented(), Self.ethernet) { n in
            switch n {
            case ..<14: .error(.truncated(layer: "ethernet"))
            case ..<54: .error(.truncated(layer: "ipv6"))
            case ..<62: .decoded(.truncated(proto: 0))  // the hop-by-hop header is cut
            case ..<70: .decoded(.truncated(proto: 44))  // the fragment header is cut
            case ..<74: .decoded(.truncated(proto: 17), fragment: .init(offset: 0, more: true))
            default: .decoded(.udp(sport: 5353, dport: 53), fragment: .init(offset: 0, more: true))
            }
        }
    }

    @Test func arp() {
        Self.checkPrefixes(Frames.arpRequest, Self.ethernet) { n in
            switch n {
            case ..<14: .error(.truncated(layer: "ethernet"))
            case ..<42: .error(.truncated(layer: "arp"))
            default: .decoded(nil, arp: .init(operation: 1, senderIP: IPv4Address(0xAC12_0003), targetIP: IPv4Address(0xAC12_0001)))
            }
        }
    }

    @Test func tcp() {
        Self.checkPrefixes(Frames.tcpSyn, Self.ethernet) { n in
            switch n {
            case ..<14: .error(.truncated(layer: "ethernet"))
            case ..<34: .error(.truncated(layer: "ipv4"))
            case ..<50: .decoded(.truncated(proto: 6))
            default: .decoded(.tcp(sport: 40001, dport: 80, flags: 2, seq: 1000, ack: 0, window: 64240))
            }
        }
    }

    @Test func udpOverIPv4Fragment() {
        let frame = Frames.ethernet(0x0800, Frames.ipv4(17, flagsOffset: 0x2000, Frames.udp(5353, 53)))
        Self.checkPrefixes(frame, Self.ethernet) { n in
            switch n {
            case ..<14: .error(.truncated(layer: "ethernet"))
            case ..<34: .error(.truncated(layer: "ipv4"))
            case ..<38: .decoded(.truncated(proto: 17), fragment: .init(offset: 0, more: true))
            default: .decoded(.udp(sport: 5353, dport: 53), fragment: .init(offset: 0, more: true))
            }
        }
    }

    @Test func vlanTags() {
        let frame = Frames.ownMAC + Frames.peerMAC + [0x88, 0xA8, 0, 10, 0x81, 0x00, 0, 20, 0x08, 0x00] + Frames.ipv4(17, Frames.udp(1, 2))
        Self.checkPrefixes(frame, Self.ethernet) { n in
            switch n {
            case ..<14: .error(.truncated(layer: "ethernet"))
            case ..<22: .error(.truncated(layer: "802.1q"))
            case ..<42: .error(.truncated(layer: "ipv4"))
            case ..<46: .decoded(.truncated(proto: 17))
            default: .decoded(.udp(sport: 1, dport: 2))
            }
        }
    }

    @Test func sllV1() {
        let frame = Frames.sll(packetType: 0, 0x0800, Frames.ipv4(17, Frames.udp(1, 2)))
        Self.checkPrefixes(frame, { b throws(DecodeError) in try PacketDecoder.decodeSLL(b, wireLength: b.count) }) { n in
            switch n {
            case ..<16: .error(.truncated(layer: "sll"))
            case ..<36: .error(.truncated(layer: "ipv4"))
            case ..<40: .decoded(.truncated(proto: 17))
            default: .decoded(.udp(sport: 1, dport: 2))
            }
        }
    }

    @Test func sll2() {
        let frame = Frames.sll2(packetType: 0, 0x86DD, Frames.ipv6(17, Frames.udp(1, 2)))
        Self.checkPrefixes(frame, { b throws(DecodeError) in try PacketDecoder.decodeSLL2(b, wireLength: b.count) }) { n in
            switch n {
            case ..<20: .error(.truncated(layer: "sll2"))
            case ..<60: .error(.truncated(layer: "ipv6"))
            case ..<64: .decoded(.truncated(proto: 17))
            default: .decoded(.udp(sport: 1, dport: 2))
            }
        }
    }

    @Test func rawIPv4AndIPv6() {
        let raw = { (b: [UInt8]) throws(DecodeError) in try PacketDecoder.decodeRawIP(b, wireLength: b.count) }
        Self.checkPrefixes(Frames.ipv4(1, Frames.echo(type: 0, id: 3, seq: 4)), raw) { n in
            switch n {
            case 0: .error(.truncated(layer: "ip"))
            case ..<20: .error(.truncated(layer: "ipv4"))
            case ..<28: .decoded(.truncated(proto: 1))
            default: .decoded(.icmp(type: 0, code: 0, id: 3, seq: 4))
            }
        }
        Self.checkPrefixes(Frames.ipv6(6, Frames.tcp(1, 2, seq: 3, ack: 4, flags: 0x11, window: 5)), raw) { n in
            switch n {
            case 0: .error(.truncated(layer: "ip"))
            case ..<40: .error(.truncated(layer: "ipv6"))
            case ..<56: .decoded(.truncated(proto: 6))
            default: .decoded(.tcp(sport: 1, dport: 2, flags: 0x11, seq: 3, ack: 4, window: 5))
            }
        }
    }

    // Garbage, by hand: each entry point, each loop and length field pushed to its limit.

    @Test func garbageForEveryEntryPoint() throws {
        for fill: UInt8 in [0x00, 0xFF, 0x45, 0x60] {
            for count in [0, 1, 13, 14, 15, 16, 19, 20, 21, 40, 64, 200] {
                let b = [UInt8](repeating: fill, count: count)
                _ = try? PacketDecoder.decodeEthernet(b, wireLength: count, ownMAC: Frames.ownMAC)
                _ = try? PacketDecoder.decodeSLL(b, wireLength: count)
                _ = try? PacketDecoder.decodeSLL2(b, wireLength: count)
                _ = try? PacketDecoder.decodeRawIP(b, wireLength: count)
            }
        }
        let ff = [UInt8](repeating: 0xFF, count: 64)
        // Unknown EtherType 0xFFFF: link layer only.
        #expect(try PacketDecoder.decodeSLL(ff, wireLength: 64) == DecodedPacket(direction: .host, etherType: 0xFFFF, length: 48))
        #expect(try PacketDecoder.decodeSLL2(ff, wireLength: 64) == DecodedPacket(direction: .host, etherType: 0xFFFF, length: 44))
        #expect(try PacketDecoder.decodeEthernet(ff, wireLength: 64, ownMAC: Frames.ownMAC)
            == DecodedPacket(direction: .host, etherType: 0xFFFF, length: 50))
        #expect(throws: DecodeError.unsupported("ip version 15")) { try PacketDecoder.decodeRawIP(ff, wireLength: 64) }
        // A VLAN tag after VLAN tag until the bytes end.
        let tags = Frames.ownMAC + Frames.peerMAC + Array([[UInt8]](repeating: [0x81, 0x00, 0, 1], count: 20).joined())
        #expect(throws: DecodeError.truncated(layer: "802.1q")) { try Self.ethernet(tags) }
        // EtherType and version disagree.
        #expect(throws: DecodeError.unsupported("ip version 6")) { try Self.ethernet(Frames.ethernet(0x0800, Frames.ipv6(59, []))) }
        #expect(throws: DecodeError.unsupported("ip version 4")) { try Self.ethernet(Frames.ethernet(0x86DD, Frames.ipv4(59, Array(repeating: 0, count: 20)))) }
        // IHL below 5.
        #expect(throws: DecodeError.truncated(layer: "ipv4")) { try PacketDecoder.decodeRawIP([0x44] + Array(repeating: 0, count: 40), wireLength: 41) }
    }

    @Test func ipv6ExtensionChainIsBounded() throws {
        // Twenty hop-by-hop headers, each naming another: the walk stops after eight.
        let chain = Array([[UInt8]](repeating: [0, 0, 1, 4, 0, 0, 0, 0], count: 20).joined())
        let p = try PacketDecoder.decodeRawIP(Frames.ipv6(0, chain), wireLength: 40 + chain.count)
        #expect(p.transport == .other(proto: 0))
        // Eight headers then UDP is still decoded.
        let eight = Array([[UInt8]](repeating: [0, 0, 1, 4, 0, 0, 0, 0], count: 7).joined()) + [17, 0, 1, 4, 0, 0, 0, 0] + Frames.udp(1, 2)
        #expect(try PacketDecoder.decodeRawIP(Frames.ipv6(0, eight), wireLength: 0).transport == .udp(sport: 1, dport: 2))
        // A routing header claiming 2 KiB in a short packet.
        let long = Frames.ipv6(43, [17, 255, 0, 0, 0, 0, 0, 0] + Frames.udp(1, 2))
        #expect(try PacketDecoder.decodeRawIP(long, wireLength: long.count).transport == .truncated(proto: 43))
    }

    @Test func icmpQuotesOfGarbageAreNilNotErrors() throws {
        // Wrong version, IHL below 5, options longer than the quote, all ones.
        for quote: [UInt8] in [[0x65] + Array(repeating: 0, count: 27), [0x41] + Array(repeating: 0, count: 27),
                               [0x4F] + Array(repeating: 0, count: 40), Array(repeating: 0xFF, count: 48)] {
            let f = Frames.ethernet(0x0800, Frames.ipv4(1, Frames.icmpError(type: 3, code: 1, quoting: quote)))
            let p = try Self.ethernet(f)
            #expect(p.transport == .icmp(type: 3, code: 1, id: nil, seq: nil) && p.quoted == nil, "first byte \(quote[0])")
            let g = Frames.ethernet(0x86DD, Frames.ipv6(58, Frames.icmpError(type: 1, code: 0, quoting: quote)))
            #expect(try Self.ethernet(g).quoted == nil)
        }
    }
}
