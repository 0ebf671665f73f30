import Testing
@testable import HoptraceCore

@Suite struct IPProtocolTests {
    @Test func namesComeFromTheTable() {
        // Spelled out here, not read from the table: /etc/protocols' keywords.
        #expect(IPProtocol.name(2) == "igmp")
        #expect(IPProtocol.name(47) == "gre")
        #expect(IPProtocol.name(50) == "esp")
        #expect(IPProtocol.name(132) == "sctp")
        #expect(IPProtocol.name(4) == "ipip")
        #expect(IPProtocol.name(58) == "icmp6")
        #expect(IPProtocol.name(253) == "proto253")  // reserved for experimentation: no name
        #expect(IPProtocol.name(94) == "proto94")  // /etc/protocols' other "ipip": unnamed, so ipip is one number
    }

    @Test func everyOutputAgrees() {
        for p: UInt8 in [1, 2, 6, 17, 47, 50, 132, 253] {
            #expect(IPProtocol.conntrackName(p) == IPProtocol.name(p))
        }
        // conntrack -E's own word, kept in its lines; NDJSON says icmp6.
        #expect(IPProtocol.conntrackName(58) == "icmpv6")
        #expect(IPProtocol.name(58) == "icmp6")
        let a = IPAddress("fd00::1")!, b = IPAddress("fd00::2")!
        let e = ConntrackEvent(kind: .new, proto: 58, orig: .init(src: a, dst: b, icmp: (128, 0, 7)),
                               reply: .init(src: b, dst: a, icmp: (129, 0, 7)), status: [.confirmed])
        #expect(ConntrackText.line(e, netns: nil, time: "T").contains(" conntrack [NEW] icmpv6 58 "))
        #expect(EventJSON.conntrack(e, netns: nil, seconds: 0, micros: 0).contains(#""proto":"icmp6""#))
    }

    @Test func namesAreUniqueAndLowerCase() {
        let names = IPProtocol.assigned.map { $0.1 }
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { $0 == $0.lowercased() && !$0.contains(" ") })
    }

    @Test func aGREPacketLineSaysGre() throws {
        // IPv4, protocol 47, 4 bytes of GRE header.
        let frame: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00,
                              0x45, 0, 0, 24, 0, 7, 0, 0, 64, 47, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
                              0, 0, 0x08, 0x00]
        let p = try PacketDecoder.decodeEthernet(frame, wireLength: frame.count, ownMAC: [2, 0, 0, 0, 0, 2])
        let line = EventJSON.packet(p, at: CapturePoint(netns: "hthost", iface: "enX0"), seconds: 0, micros: 0)
        #expect(line.contains(#""proto":"gre""#))
    }
}
