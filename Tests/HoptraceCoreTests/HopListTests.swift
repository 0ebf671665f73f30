import Testing
@testable import HoptraceCore

/// `HopList` stores hops packed (24 bytes) while they all pack, whole otherwise: either way it
/// must read and change like an `[Hop]`, and a copy must never see another's changes.
@Suite struct HopListTests {
    typealias L = Lab
    let t = Lab.packedTime, v6 = Lab.v6a

    func hop(_ point: CapturePoint, _ dir: PacketDirection = .inbound, at micros: Int64 = 0, delta: Int64? = nil,
             sport: UInt16? = 40000, dport: UInt16? = 53, icmpID: UInt16? = nil, ttl: UInt8 = 64,
             src: IPAddress = L.ip(L.ns1IP)) -> Hop {
        var h = Hop(point: point, dir: dir, time: t.adding(micros: micros), src: src, dst: L.ip(L.remoteIP),
                    sport: sport, dport: dport, icmpID: icmpID, ttl: ttl)
        h.deltaMicros = delta
        return h
    }

    /// Five packed hops and the list's header fit malloc's 160-byte size; the list itself is
    /// one word (JourneyListRingTests checks the journey's 96 bytes).
    @Test func sizes() {
        #expect(MemoryLayout<PackedHop>.stride == 24)
        #expect(MemoryLayout<HopList>.size == 8)
        #expect(MemoryLayout<PackedHops.Header>.stride == 16)
    }

    /// Every field of a hop that packs reads back as set: each direction, ports or echo id,
    /// the ttl's range, deltas at the inline edges, times at the offset's edges.
    @Test(arguments: [PacketDirection.inbound, .outbound, .host, .other])
    func packableHopsReadBackAsSet(dir: PacketDirection) {
        let deltaEdge: Int64 = (1 << 19) - 2
        var hops: [Hop] = [
            hop(L.ns1, dir),
            hop(L.veth1, dir, at: 1, delta: 0, sport: nil, dport: nil, icmpID: 27, ttl: 0),
            hop(L.docker1, dir, at: 2, delta: deltaEdge, sport: 1, dport: nil, ttl: 255),
            hop(L.enX0, dir, at: -1, delta: 3, sport: nil, dport: 65535),
            hop(L.remote, dir, at: Int64(Int32.max), delta: nil, sport: nil, dport: nil),
            hop(L.ns1, dir, at: Int64(Int32.min), delta: 1),
        ]
        hops.append(hop(L.veth0, dir, at: 9, delta: 2, sport: 65535, dport: 0))
        let list = HopList(hops)
        #expect(list.isPacked)
        #expect(Array(list) == hops)
        for (k, h) in hops.enumerated() {
            let back = list[k]
            #expect(back.point == h.point && back.dir == dir && back.time == h.time && back.ttl == h.ttl)
            #expect(back.sport == h.sport && back.dport == h.dport && back.icmpID == h.icmpID)
            #expect(back.deltaMicros == h.deltaMicros && back.src == h.src && back.dst == h.dst)
            #expect(list.point(at: k) == h.point)
        }
    }

    /// What does not pack (IPv6, a delta of 2^19−1 µs or more or below 0, an echo id beside a
    /// port, a time more than 2^31 µs from the first hop's) turns the list whole, and it still
    /// reads back exactly, the hops already in it included.
    @Test(arguments: 0..<6)
    func aHopThatDoesNotPackTurnsTheListWhole(kind: Int) {
        let odd: Hop = switch kind {
        case 0: hop(L.enX0, at: 3, src: v6)
        case 1: hop(L.enX0, at: 3, delta: (1 << 19) - 1)
        case 2: hop(L.enX0, at: 3, delta: -1)
        case 3: hop(L.enX0, at: 3, sport: 1, icmpID: 2)
        case 4: hop(L.enX0, at: Int64(Int32.max) + 1)
        default: hop(L.enX0, at: Int64(Int32.min) - 1)
        }
        let before = [hop(L.ns1), hop(L.veth1, at: 1, delta: 1)]
        // Appended, set in place, and made at once: each way ends whole and equal to the array.
        var appended = HopList(before)
        appended.append(odd)
        var set = HopList(before + [hop(L.docker1, at: 2)])
        set[2] = odd
        let made = HopList(before + [odd])
        for list in [appended, set, made] {
            #expect(!list.isPacked)
            #expect(Array(list) == before + [odd])
        }
        // And back: a hop that packs goes into a whole list as it is.
        appended.append(hop(L.remote, at: 4, delta: 1))
        #expect(Array(appended) == before + [odd, hop(L.remote, at: 4, delta: 1)])
    }

    /// The first hop sets the times' base: an empty list with room reserved takes any time.
    @Test func theFirstHopSetsTheBase() {
        var list = HopList()
        list.reserveCapacity(5)
        #expect(list.capacity >= 5)
        let far = Hop(point: L.ns1, dir: .outbound, time: EventTime(micros: EventTime.limit), src: L.ip(L.ns1IP), dst: L.ip(L.remoteIP))
        list.append(far)
        #expect(list.isPacked && list[0] == far)
    }

    /// A copy is a value: changing either (append, set, sort, insert, remove, reserve) leaves
    /// the other as it was, packed or whole. Held once, a list grows in place.
    @Test(arguments: [false, true])
    func copiesAreValues(whole: Bool) {
        var a = HopList([hop(L.ns1), hop(L.veth1, at: 1, delta: 1)])
        if whole { a.append(hop(L.docker1, at: 2, src: v6)) }
        a.reserveCapacity(8)
        let id = a.bufferIdentity
        a.append(hop(L.enX0, at: 3, delta: 1))
        #expect(a.bufferIdentity == id, "appending with room to a list held once copied it")
        let snapshot = Array(a)
        var b = a
        b.append(hop(L.remote, at: 4))
        b[0] = hop(L.remote, at: 9)
        b.sort { $0.time > $1.time }
        b.insert(hop(L.ns1, at: 7), at: 1)
        b.remove(at: 0)
        b.reserveCapacity(64)
        #expect(Array(a) == snapshot)
        var c = a
        c[1] = hop(L.docker1, at: 5)
        #expect(Array(a) == snapshot && c[1] == hop(L.docker1, at: 5))
        #expect(a.isPacked == !whole)
    }

    /// Random edits against an Array doing the same: every operation the correlator uses.
    @Test func editsMatchAnArray() {
        var rng = SplitMix64(seed: 0x5EED_0001)
        let points = [L.ns1, L.veth1, L.docker1, L.enX0, L.remote]
        for round in 0..<200 {
            var list = HopList(), model: [Hop] = []
            for _ in 0..<40 {
                let h = hop(points.randomElement(using: &rng)!, at: Int64.random(in: -5_000...5_000, using: &rng),
                            delta: Bool.random(using: &rng) ? nil : Int64.random(in: 0...1_000, using: &rng),
                            src: round % 10 == 0 && Int.random(in: 0..<20, using: &rng) == 0 ? v6 : L.ip(L.ns1IP))
                switch Int.random(in: 0..<6, using: &rng) {
                case 0, 1:
                    list.append(h)
                    model.append(h)
                case 2 where !model.isEmpty:
                    let k = Int.random(in: 0..<model.count, using: &rng)
                    list[k] = h
                    model[k] = h
                case 3:
                    let k = Int.random(in: 0...model.count, using: &rng)
                    list.insert(h, at: k)
                    model.insert(h, at: k)
                case 4 where !model.isEmpty:
                    let k = Int.random(in: 0..<model.count, using: &rng)
                    #expect(list.remove(at: k) == model.remove(at: k))
                case 5:
                    list.sort { $0.time < $1.time }
                    model.sort { $0.time < $1.time }
                    list.reserveCapacity(model.count + 3)
                default:
                    list += [h]
                    model += [h]
                }
                #expect(list.count == model.count && Array(list) == model && list.capacity >= list.count)
                #expect(list.contains(point: h.point) == model.contains { $0.point == h.point })
            }
        }
    }
}
