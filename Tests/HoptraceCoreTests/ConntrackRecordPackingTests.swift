import HoptraceCore
import Testing

/// A flow's conntrack records are packed (`Flow.ConntrackRecord`): every event must come back
/// as it went in, whatever its tuples hold.
struct ConntrackRecordPackingTests {
    static let t = EventTime(seconds: 1_795_438_391, micros: 0)

    static func v4(_ s: String) -> IPAddress { .v4(IPv4Address(s)!) }

    static let events: [ConntrackEvent] = {
        var out: [ConntrackEvent] = []
        let tcp = ConntrackEvent(kind: .new, proto: 6, orig: .init(src: v4("172.18.0.3"), dst: v4("172.31.45.174"), sport: 40000, dport: 80),
                                 reply: .init(src: v4("172.31.45.174"), dst: v4("172.31.39.53"), sport: 80, dport: 40000),
                                 status: 1 << 3 | 1 << 4, tcpState: 1, timeout: 120, mark: 7, zone: 3, id: 99)
        out.append(tcp)
        var counted = tcp
        counted.kind = .update
        counted.counters = .init(origPackets: 3, origBytes: 180, replyPackets: .max, replyBytes: 0)
        out.append(counted)
        // ICMP echo: type, code and id on both sides, no ports; no timeout, no TCP state.
        out.append(ConntrackEvent(kind: .destroy, proto: 1, orig: .init(src: v4("172.18.0.3"), dst: v4("172.31.45.174"), icmp: (8, 0, 27)),
                                  reply: .init(src: v4("172.31.45.174"), dst: v4("172.31.39.53"), icmp: (0, 0, 1027)), status: 1 << 1))
        // One port only, and the extremes of every number.
        out.append(ConntrackEvent(kind: .existing, proto: 132, orig: .init(src: v4("0.0.0.0"), dst: v4("255.255.255.255"), sport: 0),
                                  reply: .init(src: v4("255.255.255.255"), dst: v4("0.0.0.0"), dport: .max),
                                  status: .max, tcpState: .max, timeout: .max, mark: .max, zone: .max, id: .max))
        // IPv6, and a tuple mixing families.
        let a6 = IPAddress("fd00::3")!, b6 = IPAddress("2001:db8::1")!
        out.append(ConntrackEvent(kind: .new, proto: 58, orig: .init(src: a6, dst: b6, icmp: (128, 0, 5)),
                                  reply: .init(src: b6, dst: a6, icmp: (129, 0, 5)), status: 0, timeout: 30))
        out.append(ConntrackEvent(kind: .new, proto: 17, orig: .init(src: v4("10.0.0.1"), dst: b6, sport: 1, dport: 2),
                                  reply: .init(src: b6, dst: v4("10.0.0.1"), sport: 2, dport: 1), status: 0))
        // IPv6 and counters: both kept behind the one reference.
        var counted6 = out[out.count - 2]
        counted6.counters = .init(origPackets: 1, origBytes: .max, replyPackets: 0, replyBytes: 64)
        out.append(counted6)
        return out
    }()

    @Test(arguments: events.indices)
    func anEventComesBackAsItWentIn(_ i: Int) {
        let e = Self.events[i]
        let r = Flow.ConntrackRecord(time: Self.t, event: e)
        #expect(r.event == e)
        #expect(r.event.counters == e.counters)
        #expect(r.time == Self.t && r.status == e.status && r.id == e.id && r.tcpState == e.tcpState && r.timeout == e.timeout)
    }

    /// A flow's one record then fits malloc's 112-byte size (with the array's header), not 128.
    @Test func aRecordIsSeventyTwoBytes() {
        #expect(MemoryLayout<Flow.ConntrackRecord>.stride == 72)
    }
}
