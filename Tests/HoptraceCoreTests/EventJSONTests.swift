import Testing
import HoptraceCore

@Suite struct EventJSONTests {
    @Test func rfc3339() {
        #expect(RFC3339.format(seconds: 0, micros: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(RFC3339.format(seconds: 1_795_438_391, micros: 21755) == "2026-11-23T12:53:11.021755Z")
        #expect(RFC3339.format(seconds: 951_782_400, micros: 1) == "2000-02-29T00:00:00.000001Z")
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

    @Test func conntrackLineHasTheDocumentedFields() {
        let e = ConntrackEvent(
            kind: .new, proto: 6,
            orig: .init(src: IPAddress.v4(IPv4Address(0xAC1F_2DAE)), dst: IPAddress.v4(IPv4Address(0xAC1F_2735)), sport: 47814, dport: 80),
            reply: .init(src: IPAddress.v4(IPv4Address(0xAC12_0003)), dst: IPAddress.v4(IPv4Address(0xAC1F_2DAE)), sport: 80, dport: 47814),
            status: 1 << 3 | 1 << 5, tcpState: 1, timeout: 120)
        #expect(EventJSON.conntrack(e, netns: nil, seconds: 0, micros: 0) == #"{"type":"conntrack","time":"1970-01-01T00:00:00.000000Z","netns":null,"event":"new","proto":"tcp","orig":{"src":"172.31.45.174","dst":"172.31.39.53","sport":47814,"dport":80},"reply":{"src":"172.18.0.3","dst":"172.31.45.174","sport":80,"dport":47814},"status":["CONFIRMED","DST_NAT"],"state":"SYN_SENT","timeout":120,"mark":0,"zone":0,"id":0}"#)
    }
}
