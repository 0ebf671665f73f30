import Testing
@testable import HoptraceCore

/// `Hop` is packed (two IPv4 addresses in a word, the rest in a shared overflow): every
/// field must read back as it was set, whatever the family, and equality must see values.
@Suite struct HopPackingTests {
    typealias L = Lab
    let t = Lab.packedTime, v6a = Lab.v6a, v6b = Lab.v6b

    /// A 5-hop journey's hops then take malloc's 208-byte size, not 240.
    @Test func aHopFitsInThirtyTwoBytes() {
        #expect(MemoryLayout<Hop>.stride == 32)
    }

    @Test(arguments: [PacketDirection.inbound, .outbound, .host, .other])
    func everyFieldReadsBackAsSet(dir: PacketDirection) {
        for (src, dst) in [(L.ip(L.ns1IP), L.ip(L.remoteIP)), (v6a, v6b), (L.ip(L.ns1IP), v6b), (v6a, L.ip(L.remoteIP))] {
            var h = Hop(point: L.docker1, dir: dir, time: t, src: src, dst: dst, sport: 40000, dport: nil, icmpID: 27, ttl: 63)
            #expect(h.src == src && h.dst == dst && h.dir == dir && h.point == L.docker1 && h.time == t)
            #expect(h.sport == 40000 && h.dport == nil && h.icmpID == 27 && h.ttl == 63 && h.deltaMicros == nil)
            // Inline deltas lie strictly within ±2^26 µs; the edges and beyond go to the overflow.
            let edge: Int64 = 1 << 26
            let deltas: [Int64?] = [0, 7, edge - 1, edge, -edge, -edge + 1, Int64(Int32.max), Int64(Int32.min), -5,
                                    1 << 40, -(1 << 40), Int64.min, nil, 12]
            for d in deltas {
                h.deltaMicros = d
                #expect(h.deltaMicros == d, "delta \(String(describing: d))")
                #expect(h.src == src && h.dst == dst && h.dir == dir)
            }
            h.src = L.ip(L.hostIP)
            h.dst = L.ip(L.remoteIP)
            h.deltaMicros = 1 << 40
            #expect(h.src == L.ip(L.hostIP) && h.dst == L.ip(L.remoteIP) && h.deltaMicros == 1 << 40)
            h.dport = 53
            h.sport = nil
            #expect(h.dport == 53 && h.sport == nil && h.icmpID == 27 && h.dir == dir)
            // The flags share the delta's word: setting them must keep an inline delta, at its edges too.
            for d: Int64 in [12, (1 << 26) - 1, -(1 << 26) + 1] {
                h.deltaMicros = d
                h.sport = 1
                h.dir = .host
                h.icmpID = nil
                #expect(h.deltaMicros == d && h.sport == 1 && h.dir == .host && h.icmpID == nil && h.dport == 53)
                h.dir = dir
                h.sport = nil
                #expect(h.deltaMicros == d && h.sport == nil && h.dir == dir)
            }
        }
    }

    @Test func equalityComparesValuesNotStorage() {
        let a = Hop(point: L.enX0, dir: .outbound, time: t, src: v6a, dst: v6b, sport: 1, dport: 2)
        var b = Hop(point: L.enX0, dir: .outbound, time: t, src: v6a, dst: v6b, sport: 1, dport: 2)
        #expect(a == b)
        b.shareOverflow(with: a)
        #expect(a == b)
        b.deltaMicros = 3
        #expect(a != b)
        var c = a
        c.dir = .inbound
        #expect(a != c && a.dir == .outbound)
        var d = a
        d.dst = v6a
        #expect(a != d && a.dst == v6b)
    }
}
