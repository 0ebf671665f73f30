import Testing
import HoptraceCore

@Suite struct PacketDecoderTests {
    static let ownMAC: [UInt8] = [2, 0, 0, 0, 0, 1]
    static let peerMAC: [UInt8] = [2, 0, 0, 0, 0, 2]

    /// An Ethernet + IPv4 + ICMP echo request from 172.18.0.3 to 172.31.45.174.
    static func echoRequest(vlan: Bool = false) -> [UInt8] {
        var f = ownMAC + peerMAC  // destination, then source
        if vlan { f += [0x81, 0x00, 0x00, 0x05] }
        f += [0x08, 0x00]
        f += [0x45, 0, 0, 84, 0x12, 0x34, 0x40, 0, 64, 1, 0, 0, 172, 18, 0, 3, 172, 31, 45, 174]
        f += [8, 0, 0, 0, 0, 27, 0, 1]
        return f
    }

    @Test func decodesAnEchoRequestWithDirection() throws {
        let p = try PacketDecoder.decodeEthernet(Self.echoRequest(), wireLength: 98, ownMAC: Self.ownMAC)
        #expect(p.direction == .inbound)
        #expect(p.src?.description == "172.18.0.3" && p.dst?.description == "172.31.45.174")
        #expect(p.transport == .icmp(type: 8, code: 0, id: 27, seq: 1))
        #expect(p.ipID == 0x1234 && p.ttl == 64 && p.length == 84)
        let out = try PacketDecoder.decodeEthernet(Self.echoRequest(), wireLength: 98, ownMAC: Self.peerMAC)
        #expect(out.direction == .outbound)
    }

    @Test func skipsAVlanTag() throws {
        let p = try PacketDecoder.decodeEthernet(Self.echoRequest(vlan: true), wireLength: 102, ownMAC: Self.ownMAC)
        #expect(p.transport == .icmp(type: 8, code: 0, id: 27, seq: 1))
    }

    @Test func textLineReadsLikeTcpdump() throws {
        let p = try PacketDecoder.decodeEthernet(Self.echoRequest(), wireLength: 98, ownMAC: Self.ownMAC)
        let line = PacketText.line(p, at: CapturePoint(netns: "hthost", iface: "docker1"), time: "12:00:00.000001")
        #expect(line == "12:00:00.000001 hthost:docker1 in IP 172.18.0.3 > 172.31.45.174: ICMP echo request, id 27, seq 1, ttl 64, length 84")
        #expect(PacketText.tcpFlags(0x12) == "S.")
    }

    /// Every prefix of a valid frame: either a clean `truncated` error or a partial decode, never a trap.
    @Test func everyTruncationIsReportedNotTrapped() {
        let frame = Self.echoRequest()
        for n in 0..<frame.count {
            do {
                let p = try PacketDecoder.decodeEthernet(Array(frame.prefix(n)), wireLength: n, ownMAC: Self.ownMAC)
                // A complete IP header with a cut transport header says so.
                #expect(n >= 34)
                if n < frame.count - 4 { #expect(p.transport == .truncated(proto: 1)) }
            } catch {
                #expect(n < 34, "prefix \(n) should decode")
                #expect(error == .truncated(layer: n < 14 ? "ethernet" : "ipv4"))
            }
        }
    }

    /// Valid frames for every entry point, to be mutated: each holds a shape worth reaching.
    static let fuzzSeeds: [[UInt8]] = [
        echoRequest(), echoRequest(vlan: true), Frames.tcpSyn, Frames.portUnreachable, Frames.timeExceeded,
        Frames.icmpv6Echo, Frames.icmpv6PortUnreachable, Frames.ipv6Fragmented(), Frames.ipv6Fragmented(offset: 8, more: false),
        Frames.arpRequest,
        Frames.sll(packetType: 0, 0x0800, Array(Frames.portUnreachable.dropFirst(14))),
        Frames.sll(packetType: 4, 0x0806, Array(Frames.arpRequest.dropFirst(14))),
        Frames.sll2(packetType: 0, 0x86DD, Array(Frames.ipv6Fragmented().dropFirst(14))),
        Array(Frames.timeExceeded.dropFirst(14)), Array(Frames.icmpv6PortUnreachable.dropFirst(14)),
    ]

    /// A seeded random loop over garbage and mutated frames through every entry point: nothing may trap.
    @Test func survivesRandomBytes() {
        var rng = SplitMix64(seed: 0x5eed)
        var decoded = [0, 0, 0, 0]  // Ethernet, SLL, SLL2, raw IP
        var quoted = 0, arp = 0, ipv6 = 0, fragments = 0
        for i in 0..<1_000_000 {
            var bytes: [UInt8]
            if i % 2 == 0 {
                bytes = (0..<Int(rng.next() % 120)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                bytes = Self.fuzzSeeds[Int(rng.next() % UInt64(Self.fuzzSeeds.count))]
                for _ in 0..<Int(rng.next() % 5) {
                    bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
                // Half are cut short somewhere; half keep their length, so whole shapes get through too.
                if rng.next() % 2 == 0 { bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1)))) }
            }
            let results = [
                try? PacketDecoder.decodeEthernet(bytes, wireLength: bytes.count, ownMAC: Self.ownMAC),
                try? PacketDecoder.decodeSLL(bytes, wireLength: bytes.count),
                try? PacketDecoder.decodeSLL2(bytes, wireLength: bytes.count),
                try? PacketDecoder.decodeRawIP(bytes, wireLength: bytes.count),
            ]
            for (k, r) in results.enumerated() {
                guard let p = r else { continue }
                decoded[k] += 1
                if p.quoted != nil { quoted += 1 }
                if p.arp != nil { arp += 1 }
                if case .v6 = p.src { ipv6 += 1 }
                if p.fragment != nil { fragments += 1 }
                // The printers see the same odd values now and then.
                if i % 64 == 1 {
                    _ = PacketText.line(p, at: CapturePoint(netns: nil, iface: "f"), time: "T")
                    _ = EventJSON.packet(p, at: CapturePoint(netns: nil, iface: "f"), seconds: 0, micros: 0)
                }
            }
        }
        // Every entry point decoded plenty, and the mutated seeds reached every new shape.
        #expect(decoded.allSatisfy { $0 > 10_000 }, "decoded per entry point: \(decoded)")
        #expect(quoted > 10_000 && arp > 10_000 && ipv6 > 10_000 && fragments > 10_000,
                "quoted \(quoted), arp \(arp), ipv6 \(ipv6), fragments \(fragments)")
    }

    @Test func capturePointsParse() {
        #expect(CapturePoint(parsing: "htns1:eth0") == CapturePoint(netns: "htns1", iface: "eth0"))
        #expect(CapturePoint(parsing: "eth0") == CapturePoint(netns: nil, iface: "eth0"))
        #expect(CapturePoint(parsing: "/proc/1/ns/net:eth0")?.networkNamespace?.path == "/proc/1/ns/net")
        #expect(CapturePoint(parsing: "htns1:eth0")?.networkNamespace?.path == "/run/netns/htns1")
        #expect(CapturePoint(parsing: "ns:") == nil)
        #expect(CapturePoint(parsing: "") == nil)
    }
}

/// A small deterministic generator, so a failing input can be reproduced.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct ConntrackTextTests {
    @Test func readsLikeConntrackE() {
        let a = IPAddress.v4(IPv4Address(0xAC12_0003)), b = IPAddress.v4(IPv4Address(0xAC1F_2DAE)), nat = IPAddress.v4(IPv4Address(0xAC1F_2735))
        var e = ConntrackEvent(
            kind: .new, proto: 1, orig: .init(src: a, dst: b, icmp: (8, 0, 27)),
            reply: .init(src: b, dst: nat, icmp: (0, 0, 27)), status: 1 << 3 | 1 << 4, timeout: 30)
        #expect(ConntrackText.line(e, netns: "hthost", time: "T") ==
            "T hthost conntrack [NEW] icmp 1 30 src=172.18.0.3 dst=172.31.45.174 type=8 code=0 id=27 [UNREPLIED] src=172.31.45.174 dst=172.31.39.53 type=0 code=0 id=27")
        e.kind = .update
        e.status.insert(.seenReply)
        #expect(e.status.names == ["SEEN_REPLY", "CONFIRMED", "SRC_NAT"])
        #expect(!ConntrackText.line(e, netns: "hthost", time: "T").contains("UNREPLIED"))
    }
}
