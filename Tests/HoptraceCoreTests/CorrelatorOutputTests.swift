import Testing
import HoptraceCore

@Suite struct CorrelatorOutputTests {
    typealias L = Lab

    static func s2Flow() throws -> Flow {
        let run = Run()
        run.s2Ping()
        return try #require(run.onlyFlow)
    }

    @Test func flowJSONLineForS2() throws {
        let f = try Self.s2Flow()
        let line = FlowJSON.line(f, time: EventTime(seconds: 1_795_438_393, micros: 0))
        #expect(line == #"{"type":"flow","time":"2026-11-23T12:53:13.000000Z","netns":"hthost","flow":1,"proto":"icmp","orig":{"src":"172.18.0.3","dst":"172.31.45.174","icmp":{"type":8,"code":0,"id":27}},"reply":{"src":"172.31.45.174","dst":"172.31.39.53","icmp":{"type":0,"code":0,"id":27}},"nat":[{"kind":"snat","field":"src","from":"172.18.0.3","to":"172.31.39.53","between":["hthost:docker1","hthost:enX0"],"until":null}],"hops":[{"leg":"request","netns":"htns1","iface":"eth0","dir":"out","time":"2026-11-23T12:53:11.000000Z","src":"172.18.0.3","dst":"172.31.45.174","id":27,"ttl":64,"delta_us":null},{"leg":"request","netns":"hthost","iface":"veth1","dir":"other","time":"2026-11-23T12:53:11.000050Z","src":"172.18.0.3","dst":"172.31.45.174","id":27,"ttl":64,"delta_us":50},{"leg":"request","netns":"hthost","iface":"docker1","dir":"in","time":"2026-11-23T12:53:11.000100Z","src":"172.18.0.3","dst":"172.31.45.174","id":27,"ttl":64,"delta_us":50},{"leg":"request","netns":"hthost","iface":"enX0","dir":"out","time":"2026-11-23T12:53:11.000150Z","src":"172.31.39.53","dst":"172.31.45.174","id":27,"ttl":63,"delta_us":50},{"leg":"request","netns":"htremote","iface":"enX0","dir":"in","time":"2026-11-23T12:53:11.000200Z","src":"172.31.39.53","dst":"172.31.45.174","id":27,"ttl":63,"delta_us":50},{"leg":"reply","netns":"htremote","iface":"enX0","dir":"out","time":"2026-11-23T12:53:11.000300Z","src":"172.31.45.174","dst":"172.31.39.53","id":27,"ttl":64,"delta_us":null},{"leg":"reply","netns":"hthost","iface":"enX0","dir":"in","time":"2026-11-23T12:53:11.000350Z","src":"172.31.45.174","dst":"172.31.39.53","id":27,"ttl":64,"delta_us":50},{"leg":"reply","netns":"hthost","iface":"docker1","dir":"out","time":"2026-11-23T12:53:11.000400Z","src":"172.31.45.174","dst":"172.18.0.3","id":27,"ttl":63,"delta_us":50},{"leg":"reply","netns":"hthost","iface":"veth1","dir":"other","time":"2026-11-23T12:53:11.000450Z","src":"172.31.45.174","dst":"172.18.0.3","id":27,"ttl":63,"delta_us":50},{"leg":"reply","netns":"htns1","iface":"eth0","dir":"in","time":"2026-11-23T12:53:11.000500Z","src":"172.31.45.174","dst":"172.18.0.3","id":27,"ttl":63,"delta_us":50}],"verdict":{"state":"replied","at":"htns1:eth0","reason":"reply reached htns1:eth0 in 5 hops","hint":null,"since":"2026-11-23T12:53:11.000500Z","pending":null,"window":{"replied":1,"unreplied":0,"vanished":0,"icmp_error":0,"delivered":0,"in_flight":0,"recent":"✓"}},"conntrack":{"status":["SEEN_REPLY","CONFIRMED","SRC_NAT"],"state":null}}"#)
    }

    @Test func flowTextLineForS2() throws {
        #expect(FlowText.line(try Self.s2Flow()) == "flow 1 icmp 172.18.0.3 > 172.31.45.174 id 27 SNAT→172.31.39.53 [docker1→enX0] replied: 5 hops, 0.20 ms")
    }

    @Test func flowTextSaysWhereAndWhyWhenNotDelivered() throws {
        let s3 = Run()
        s3.request(seq: 1, at: 0, until: L.docker1)
        s3.advance(2000)
        #expect(FlowText.line(try #require(s3.onlyFlow)) == "flow 1 icmp 172.18.0.3 > 172.31.45.174 id 27 vanished after hthost:docker1, before hthost:enX0; hint: lost inside hthost while forwarding from docker1 to enX0")

        let s1 = Run()
        s1.request(seq: 1, at: 0, snat: false)
        s1.advance(2000)
        let f = try #require(s1.onlyFlow)
        #expect(FlowText.line(f) == "flow 1 icmp 172.18.0.3 > 172.31.45.174 id 27 unreplied: left hthost:enX0 with untranslated private source 172.18.0.3; no reply within 1 s; hint: no SNAT: replies cannot come back; add MASQUERADE for 172.18.0.0/24 on enX0")
        let json = FlowJSON.line(f, time: EventTime(seconds: 0, micros: 0))
        #expect(json.contains(#""verdict":{"state":"unreplied","at":"htremote:enX0","reason":"left hthost:enX0 with untranslated private source 172.18.0.3; no reply within 1 s","hint":"no SNAT: replies cannot come back; add MASQUERADE for 172.18.0.0/24 on enX0","fix":"ip netns exec hthost iptables -t nat -A POSTROUTING -s 172.18.0.0/24 '!' -o docker1 -j MASQUERADE","since":"2026-11-23T12:53:12.000200Z","pending":null,"window":{"replied":0,"unreplied":1,"vanished":0,"icmp_error":0,"delivered":0,"in_flight":0,"recent":"✗"}}"#))
        #expect(json.contains(#""reply":null"#) && json.contains(#""conntrack":null"#) && json.contains(#""nat":[]"#))
    }

    @Test func flowTextForATCPFlowWithDNATAndNoControlCharacters() {
        let evil = CapturePoint(netns: "ns\u{1B}[2J", iface: "e\u{7}th0")
        let c = Correlator(paths: UnknownPaths())
        let p = L.tcp(L.remoteIP, 47814, L.hostIP, 80, flags: 0x02, seq: 1, ipid: 1, dir: .inbound)
        _ = c.ingest(packet: p, at: evil, time: EventTime(seconds: 0, micros: 0))
        _ = c.ingest(conntrack: ConntrackEvent(kind: .new, proto: 6, orig: L.portTuple(L.remoteIP, 47814, L.hostIP, 80),
                                              reply: L.portTuple(L.ns1IP, 80, L.remoteIP, 47814), status: L.confirmed | L.dstNAT),
                     netns: "hthost", time: EventTime(seconds: 0, micros: 10))
        let line = FlowText.line(c.allFlows[0])
        // Shown escaped, as the live view shows them (`TerminalText`).
        #expect(line == #"flow 1 tcp 172.31.45.174.47814 > 172.31.39.53.80 DNAT→172.18.0.3 in-flight: seen at ns\x1b[2J:e\x07th0; path unknown"#)
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 })
        let json = FlowJSON.line(c.allFlows[0], time: EventTime(seconds: 0, micros: 0))
        #expect(json.contains(#""netns":"ns\u001b[2J","iface":"e\u0007th0""#))
    }
}
