import Testing
import HoptraceCore

@Suite struct EventJSONTests {
    @Test func rfc3339() {
        #expect(RFC3339.format(seconds: 0, micros: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(RFC3339.format(seconds: 1_795_438_391, micros: 21755) == "2026-11-23T12:53:11.021755Z")
        #expect(RFC3339.format(seconds: 951_782_400, micros: 1) == "2000-02-29T00:00:00.000001Z")
    }

    /// A packet line writes the direction as a literal: it must be the documented word.
    @Test(arguments: [PacketDirection.inbound, .outbound, .host, .other])
    func theDirectionWordIsItsRawValue(d: PacketDirection) {
        #expect(d.word.description == d.rawValue)
    }

    /// Numbers and addresses are written digit by digit into the line: every width, both
    /// signs and the limits read back as Swift prints them.
    @Test func numbersAndAddressesAreWrittenAsTheirText() {
        var values = [Int.min, Int.min + 1, Int.max, 0, -1, 1]
        var p = 1
        for _ in 1...18 {
            p *= 10
            values += [p - 1, p, p + 1, -(p - 1), -p, -(p + 1)]
        }
        for v in values {
            var j = JSONLine()
            j.add("n", v)
            #expect(j.text == "{\"n\":\(v)}")
        }
        for octet in UInt32(0)...255 {
            let spread = IPv4Address(octet << 24 | (255 - octet) << 16 | (octet / 2) << 8 | octet)
            for a in [IPv4Address(octet * 0x0101_0101), spread] {
                var j = JSONLine()
                j.add("first", 7)
                j.add("a", IPAddress.v4(a))
                #expect(j.text == "{\"first\":7,\"a\":\"\(a.description)\"}")
            }
        }
        let v6 = IPAddress.v6(IPv6Address(high: 0, low: 1))
        var j = JSONLine()
        j.add("a", v6)
        #expect(j.text == #"{"a":"::1"}"#)
        // A copy is a value: the original does not see what the copy adds.
        var copy = j
        copy.add("b", 2)
        #expect(j.text == #"{"a":"::1"}"# && copy.text == #"{"a":"::1","b":2}"#)
    }

    @Test func escapesEverythingJSONRequires() {
        #expect(JSONLine.quote("a\"b\\c\n\u{1}") == #""a\"b\\c\n\u0001""#)
    }

    @Test func packetLineHasTheDocumentedFields() throws {
        let frame: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00,
                              0x45, 0, 0, 84, 0, 7, 0, 0, 63, 1, 0, 0, 172, 31, 39, 53, 172, 31, 45, 174,
                              8, 0, 0, 0, 0, 27, 0, 3]
        let p = try PacketDecoder.decodeEthernet(frame, wireLength: 98, ownMAC: [2, 0, 0, 0, 0, 2])
        let line = EventJSON.packet(p, at: CapturePoint(netns: "hthost", iface: "enX0"), seconds: 0, micros: 5)
        #expect(line == #"{"type":"packet","time":"1970-01-01T00:00:00.000005Z","netns":"hthost","iface":"enX0","dir":"out","len":84,"src":"172.31.39.53","dst":"172.31.45.174","ttl":63,"ipid":7,"proto":"icmp","icmp":{"type":8,"code":0,"id":27,"seq":3}}"#)
    }

    /// A point's names are quoted once and kept: a name a recording made up is escaped there
    /// as anywhere, in every line of that point; a point in hoptrace's own namespace has `null`.
    @Test func aPointsNamesAreEscapedAndAPointWithoutANamespaceHasNullNetns() throws {
        let frame: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00,
                              0x45, 0, 0, 84, 0, 7, 0, 0, 63, 1, 0, 0, 172, 31, 39, 53, 172, 31, 45, 174,
                              8, 0, 0, 0, 0, 27, 0, 3]
        let p = try PacketDecoder.decodeEthernet(frame, wireLength: 98, ownMAC: [2, 0, 0, 0, 0, 2])
        let odd = CapturePoint(netns: "a\"b\u{1b}[2J\u{202e}", iface: "e\\0")
        for _ in 0..<2 {
            let line = EventJSON.packet(p, at: odd, seconds: 0, micros: 5, flow: 3)
            #expect(line.hasPrefix(#"{"type":"packet","time":"1970-01-01T00:00:00.000005Z","netns":"a\"b\u001b[2J\u202e","flow":3,"iface":"e\\0","dir":"out""#), "\(line)")
        }
        let here = EventJSON.packet(p, at: CapturePoint(netns: nil, iface: "lo"), seconds: 0, micros: 5)
        #expect(here.hasPrefix(#"{"type":"packet","time":"1970-01-01T00:00:00.000005Z","netns":null,"iface":"lo","dir":"out""#), "\(here)")
    }

    static func json(_ f: [UInt8]) throws -> String {
        let p = try PacketDecoder.decodeEthernet(f, wireLength: f.count, ownMAC: Frames.ownMAC)
        return EventJSON.packet(p, at: CapturePoint(netns: "hthost", iface: "enX0"), seconds: 0, micros: 5)
    }

    static let head = #"{"type":"packet","time":"1970-01-01T00:00:00.000005Z","netns":"hthost","iface":"enX0","#

    @Test func icmpErrorsCarryTheQuotedDatagram() throws {
        #expect(try Self.json(Frames.portUnreachable) == Self.head + #""dir":"in","len":56,"src":"172.31.45.174","dst":"172.18.0.3","ttl":64,"ipid":257,"proto":"icmp","icmp":{"type":3,"code":3},"quoted":{"src":"172.18.0.3","dst":"172.31.45.174","proto":"udp","ipid":16962,"sport":40000,"dport":53}}"#)
        #expect(try Self.json(Frames.timeExceeded) == Self.head + #""dir":"in","len":56,"src":"172.18.0.1","dst":"172.18.0.3","ttl":64,"ipid":514,"proto":"icmp","icmp":{"type":11,"code":0},"quoted":{"src":"172.18.0.3","dst":"172.31.45.174","proto":"icmp","ipid":7,"icmp":{"id":27,"seq":1}}}"#)
        #expect(try Self.json(Frames.icmpv6PortUnreachable) == Self.head + #""dir":"in","len":100,"src":"2001:db8::2","dst":"2001:db8::1","ttl":64,"ipid":0,"proto":"icmp6","icmp":{"type":1,"code":4},"quoted":{"src":"2001:db8::1","dst":"2001:db8::2","proto":"udp","ipid":0,"sport":5353,"dport":53}}"#)
    }

    @Test func icmpv6EchoUsesTheIcmpObject() throws {
        #expect(try Self.json(Frames.icmpv6Echo) == Self.head + #""dir":"in","len":56,"src":"2001:db8::1","dst":"2001:db8::2","ttl":64,"ipid":0,"proto":"icmp6","icmp":{"type":128,"code":0,"id":5,"seq":1}}"#)
    }

    @Test func fragmentsCarryFrag() throws {
        #expect(try Self.json(Frames.ipv6Fragmented()) == Self.head + #""dir":"in","len":68,"src":"2001:db8::1","dst":"2001:db8::2","ttl":64,"ipid":48879,"proto":"udp","sport":5353,"dport":53,"frag":{"offset":0,"more":true}}"#)
        let later = Frames.ethernet(0x0800, Frames.ipv4(17, flagsOffset: 185, totalLength: 548, [1, 2, 3, 4, 5, 6, 7, 8]))
        #expect(try Self.json(later) == Self.head + #""dir":"in","len":548,"src":"172.18.0.3","dst":"172.31.45.174","ttl":64,"ipid":4660,"proto":"udp","frag":{"offset":1480,"more":false}}"#)
    }

    @Test func arpAndTcpWindow() throws {
        #expect(try Self.json(Frames.arpRequest) == Self.head + #""dir":"host","len":28,"proto":"arp","arp":{"op":"request","sender":"172.18.0.3","target":"172.18.0.1"}}"#)
        let reply = Frames.ethernet(0x0806, Frames.arp(op: 2, senderIP: Frames.bridge, targetIP: Frames.ns1))
        #expect(try Self.json(reply) == Self.head + #""dir":"in","len":28,"proto":"arp","arp":{"op":"reply","sender":"172.18.0.1","target":"172.18.0.3"}}"#)
        let rarp = Frames.ethernet(0x0806, Frames.arp(op: 3, senderIP: Frames.bridge, targetIP: Frames.ns1))
        #expect(try Self.json(rarp).hasSuffix(#""arp":{"op":3,"sender":"172.18.0.1","target":"172.18.0.3"}}"#))
        #expect(try Self.json(Frames.tcpSyn) == Self.head + #""dir":"in","len":40,"src":"172.18.0.3","dst":"172.31.45.174","ttl":64,"ipid":4660,"proto":"tcp","sport":40001,"dport":80,"flags":"S","seq":1000,"ack":0,"window":64240}"#)
    }

    @Test func conntrackLineHasTheDocumentedFields() {
        let e = ConntrackEvent(
            kind: .new, proto: 6,
            orig: .init(src: IPAddress.v4(IPv4Address(0xAC1F_2DAE)), dst: IPAddress.v4(IPv4Address(0xAC1F_2735)), sport: 47814, dport: 80),
            reply: .init(src: IPAddress.v4(IPv4Address(0xAC12_0003)), dst: IPAddress.v4(IPv4Address(0xAC1F_2DAE)), sport: 80, dport: 47814),
            status: 1 << 3 | 1 << 5, tcpState: 1, timeout: 120)
        #expect(EventJSON.conntrack(e, netns: nil, seconds: 0, micros: 0) == #"{"type":"conntrack","time":"1970-01-01T00:00:00.000000Z","netns":null,"event":"new","proto":"tcp","orig":{"src":"172.31.45.174","dst":"172.31.39.53","sport":47814,"dport":80},"reply":{"src":"172.18.0.3","dst":"172.31.45.174","sport":80,"dport":47814},"status":["CONFIRMED","DST_NAT"],"state":"SYN_SENT","timeout":120,"mark":0,"zone":0,"id":0}"#)
    }

    /// With nf_conntrack_acct=1 the kernel counts; the lines say so like conntrack -E does.
    @Test func conntrackCountersWhenAccountingIsOn() {
        var e = ConntrackEvent(
            kind: .destroy, proto: 17,
            orig: .init(src: .v4(IPv4Address("172.18.0.3")!), dst: .v4(IPv4Address("172.31.45.174")!), sport: 5000, dport: 53),
            reply: .init(src: .v4(IPv4Address("172.31.45.174")!), dst: .v4(IPv4Address("172.31.39.53")!), sport: 53, dport: 5000),
            status: 1 << 1 | 1 << 3)
        e.counters = .init(origPackets: 2, origBytes: 120, replyPackets: 1, replyBytes: 60)
        #expect(EventJSON.conntrack(e, netns: "hthost", seconds: 0, micros: 0).hasSuffix(
            #""id":0,"counters":{"orig_packets":2,"orig_bytes":120,"reply_packets":1,"reply_bytes":60}}"#))
        #expect(ConntrackText.line(e, netns: "hthost", time: "T") ==
            "T hthost conntrack [DESTROY] udp 17 src=172.18.0.3 dst=172.31.45.174 sport=5000 dport=53 packets=2 bytes=120 src=172.31.45.174 dst=172.31.39.53 sport=53 dport=5000 packets=1 bytes=60")
    }

    /// The kernel's counters are u64: past Int.max they still print as what the kernel counted.
    @Test func countersPrintUnsigned() throws {
        var e = ConntrackEvent(
            kind: .update, proto: 17,
            orig: .init(src: .v4(IPv4Address("172.18.0.3")!), dst: .v4(IPv4Address("172.31.45.174")!), sport: 5000, dport: 53),
            reply: .init(src: .v4(IPv4Address("172.31.45.174")!), dst: .v4(IPv4Address("172.31.39.53")!), sport: 53, dport: 5000),
            status: 1 << 3)
        e.counters = .init(origPackets: .max, origBytes: 1 << 63, replyPackets: 0, replyBytes: .max)
        let line = EventJSON.conntrack(e, netns: "hthost", seconds: 0, micros: 0)
        #expect(line.hasSuffix(
            #""counters":{"orig_packets":18446744073709551615,"orig_bytes":9223372036854775808,"reply_packets":0,"reply_bytes":18446744073709551615}}"#))
        // The time has dashes of its own: only the counters must have none.
        let counters = try #require(line.range(of: #""counters":"#)).upperBound
        #expect(!line[counters...].contains("-"))
    }
}
