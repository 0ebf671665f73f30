import Testing
@testable import HoptraceCore

/// `FlowKey` hashes its fields packed in words (the flow index hashes a key or two per
/// sighting): equal keys must hash alike in every layout, and each field must count.
@Suite struct FlowKeyHashTests {
    static let v4a = IPAddress.v4(IPv4Address(0xAC12_0003)), v4b = IPAddress.v4(IPv4Address(0xAC1F_2DAE))
    static let v6a = IPAddress.v6(IPv6Address(high: 0x2001_0db8 << 32, low: 1))
    static let v6b = IPAddress.v6(IPv6Address(high: 0x2001_0db8 << 32, low: 2))

    static func keys() -> [FlowKey] {
        var keys: [FlowKey] = []
        for (src, dst) in [(v4a, v4b), (v4b, v4a), (v6a, v6b), (v6b, v6a), (v4a, v6b), (v6a, v4b)] {
            for proto: UInt8 in [1, 6, 17, 58] {
                for (sport, dport): (UInt16, UInt16) in [(0, 0), (40000, 53), (53, 40000), (1, 0), (0, 1)] {
                    keys.append(FlowKey(proto: proto, src: src, dst: dst, sport: sport, dport: dport))
                }
            }
        }
        return keys
    }

    @Test func equalKeysHashAlikeAndEveryFieldCounts() {
        let keys = Self.keys()
        for k in keys {
            // A copy made field by field: the same key, so the same hash.
            let same = FlowKey(proto: k.proto, src: k.src, dst: k.dst, sport: k.sport, dport: k.dport)
            #expect(same.hashValue == k.hashValue)
            #expect(k.reversed().reversed().hashValue == k.hashValue)
        }
        // All distinct, and a set finds each one: no field is left out of == or the hash.
        let set = Set(keys)
        #expect(set.count == keys.count)
        #expect(keys.allSatisfy { set.contains($0) })
        // A field left out of the hash would give equal hashes for keys that differ only there:
        // among these 120 keys at most a stray collision or two, not whole groups.
        #expect(Set(keys.map(\.hashValue)).count >= keys.count - 2)
    }
}
