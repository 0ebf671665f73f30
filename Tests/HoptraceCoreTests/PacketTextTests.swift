import Testing
import HoptraceCore

/// tcpdump -n-like lines for the shapes beyond IPv4 echo: exact strings.
@Suite struct PacketTextTests {
    static func line(_ f: [UInt8], wireLength: Int? = nil, ownMAC: [UInt8] = Frames.ownMAC) throws -> String {
        let p = try PacketDecoder.decodeEthernet(f, wireLength: wireLength ?? f.count, ownMAC: ownMAC)
        return PacketText.line(p, at: CapturePoint(netns: "hthost", iface: "docker1"), time: "T")
    }

    @Test func icmpErrorsNameTheQuotedFlow() throws {
        #expect(try Self.line(Frames.portUnreachable)
            == "T hthost:docker1 in IP 172.31.45.174 > 172.18.0.3: ICMP port unreachable, quoting UDP 172.18.0.3.40000 > 172.31.45.174.53, ttl 64, length 56")
        #expect(try Self.line(Frames.timeExceeded)
            == "T hthost:docker1 in IP 172.18.0.1 > 172.18.0.3: ICMP time exceeded in-transit, quoting ICMP 172.18.0.3 > 172.31.45.174 echo id 27 seq 1, ttl 64, length 56")
        // The quote cut inside its IP header: the error alone.
        #expect(try Self.line(Array(Frames.portUnreachable.prefix(50)))
            == "T hthost:docker1 in IP 172.31.45.174 > 172.18.0.3: ICMP port unreachable, ttl 64, length 56")
    }

    @Test func ipv6Lines() throws {
        #expect(try Self.line(Frames.icmpv6Echo)
            == "T hthost:docker1 in IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 5, seq 1, hlim 64, length 56")
        #expect(try Self.line(Frames.icmpv6PortUnreachable)
            == "T hthost:docker1 in IP6 2001:db8::2 > 2001:db8::1: ICMP6, destination unreachable, port unreachable, quoting UDP 2001:db8::1.5353 > 2001:db8::2.53, hlim 64, length 100")
        #expect(try Self.line(Frames.ipv6Fragmented())
            == "T hthost:docker1 in IP6 2001:db8::1.5353 > 2001:db8::2.53: UDP, frag offset 0 [more fragments], length 68")
        #expect(try Self.line(Frames.ipv6Fragmented(offset: 1448, more: false))
            == "T hthost:docker1 in IP6 2001:db8::1 > 2001:db8::2: proto 17, frag offset 1448, length 68")
    }

    @Test func ipv4FragmentsTCPAndTruncation() throws {
        let later = Frames.ethernet(0x0800, Frames.ipv4(17, flagsOffset: 185, totalLength: 548, [1, 2, 3, 4, 5, 6, 7, 8]))
        #expect(try Self.line(later) == "T hthost:docker1 in IP 172.18.0.3 > 172.31.45.174: proto 17, frag offset 1480, length 548")
        #expect(try Self.line(Frames.tcpSyn)
            == "T hthost:docker1 in IP 172.18.0.3.40001 > 172.31.45.174.80: Flags [S], seq 1000, ack 0, win 64240, length 40")
        #expect(try Self.line(Array(Frames.tcpSyn.prefix(40)))
            == "T hthost:docker1 in IP 172.18.0.3 > 172.31.45.174: proto 6 [|truncated], length 40")
    }

    @Test func arpLines() throws {
        #expect(try Self.line(Frames.arpRequest) == "T hthost:docker1 host ARP, Request who-has 172.18.0.1 tell 172.18.0.3, length 28")
        let reply = Frames.ethernet(0x0806, Frames.arp(op: 2, senderIP: Frames.bridge, targetIP: Frames.ns1), dst: Frames.peerMAC, src: Frames.ownMAC)
        #expect(try Self.line(reply) == "T hthost:docker1 out ARP, Reply 172.18.0.1 is-at (for 172.18.0.3), length 28")
        let other = Frames.ethernet(0x0806, [0, 6, 8, 0, 6, 4, 0, 1] + Array(repeating: 0, count: 20))
        #expect(try Self.line(other) == "T hthost:docker1 in ethertype 0x806, length 28")
    }

    /// Payload bytes never reach the text: a payload that looks like text stays out.
    @Test func payloadIsNeverPrinted() throws {
        let f = Frames.ethernet(0x0800, Frames.ipv4(17, Frames.udp(1, 2, Array("SECRET\n\u{1b}[2J".utf8))))
        let line = try Self.line(f)
        #expect(line == "T hthost:docker1 in IP 172.18.0.3.1 > 172.31.45.174.2: UDP, length 39")
    }
}
