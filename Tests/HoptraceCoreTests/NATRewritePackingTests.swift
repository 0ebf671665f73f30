@testable import HoptraceCore
import Testing

/// `NATRewrite` packs an IPv4 address or a port into a word and holds anything else whole:
/// every value must come back as it went in, and changing one side must keep the other.
struct NATRewritePackingTests {
    static let v4 = NATValue.address(.v4(IPv4Address("172.18.0.3")!)), v4b = NATValue.address(.v4(IPv4Address("255.255.255.255")!))
    static let v6 = NATValue.address(IPAddress("fd00::3")!), port = NATValue.number(40001), zero = NATValue.number(0)
    static let text = NATValue.text("not a value")

    @Test(arguments: [(v4, v4b), (port, zero), (v6, v4), (v4, v6), (text, port), (port, .number(.max)), (v4, port)])
    func valuesComeBackAsTheyWentIn(_ pair: (NATValue, NATValue)) {
        var r = NATRewrite(kind: .snat, field: .src, from: pair.0, to: pair.1)
        #expect(r.fromValue == pair.0 && r.toValue == pair.1)
        r.toValue = Self.v6
        #expect(r.fromValue == pair.0 && r.toValue == Self.v6)
        r.toValue = Self.port
        r.fromValue = Self.v4
        #expect(r.fromValue == Self.v4 && r.toValue == Self.port)
    }

    /// A SNAT'd flow's record and two rewrites then fit malloc's 160-byte size (with the
    /// ledger's headers), not 176.
    @Test func aRewriteIsTwentyFourBytes() {
        #expect(MemoryLayout<NATRewrite>.stride == 24)
    }

    /// Wide values and the end time share the rare part: setting or clearing either keeps
    /// the other, and a rewrite with neither holds no box.
    @Test(arguments: [(v4, port), (v6, v4), (port, text)])
    func theEndTimeAndWideValuesShareTheRarePart(_ pair: (NATValue, NATValue)) {
        let until = EventTime(seconds: 1_795_438_391, micros: 7)
        var r = NATRewrite(kind: .dnat, field: .dst, from: pair.0, to: pair.1)
        #expect(r.hasRarePart == (pair.0 == Self.v6 || pair.1 == Self.text))
        r.until = until
        #expect(r.hasRarePart)
        #expect(r.until == until && r.fromValue == pair.0 && r.toValue == pair.1)
        r.fromValue = Self.v6
        #expect(r.until == until && r.fromValue == Self.v6 && r.toValue == pair.1)
        r.fromValue = Self.v4
        r.toValue = Self.port
        #expect(r.until == until && r.fromValue == Self.v4 && r.toValue == Self.port)
        r.toValue = pair.1
        r.until = nil
        #expect(r.until == nil && r.fromValue == Self.v4 && r.toValue == pair.1)
        r.until = until
        r.until = nil
        #expect(r == NATRewrite(kind: .dnat, field: .dst, from: Self.v4, to: pair.1))
        #expect(r.hasRarePart == (pair.1 == Self.text))
    }

    /// Kind, field, points and the end time sit in shared words: each must read back as set,
    /// whatever the others hold, and changing values must keep them.
    @Test func everyFieldReadsBackAsSet() {
        let a = CapturePoint(netns: "ht-nat-a", iface: "veth1"), b = CapturePoint(netns: nil, iface: "enX0")
        let until = EventTime(seconds: 1_795_438_391, micros: 7)
        #expect(CapturePointNames.shared.maxCount <= Int(NATRewrite.handleLimit))
        for kind in [NATRewrite.Kind.snat, .dnat] {
            for field in [NATRewrite.Field.src, .dst, .sport, .dport, .id] {
                for between in [nil, (a, b), (b, a)] as [(CapturePoint, CapturePoint)?] {
                    for (from, to) in [(Self.v4, Self.port), (Self.v6, Self.text), (Self.zero, Self.v4b)] {
                        var r = NATRewrite(kind: kind, field: field, from: from, to: to, between: between)
                        #expect(r.kind == kind && r.fieldKind == field && r.fromValue == from && r.toValue == to)
                        #expect(r.between?.0 == between?.0 && r.between?.1 == between?.1 && r.until == nil)
                        r.until = until
                        r.toValue = Self.v4
                        #expect(r.kind == kind && r.fieldKind == field && r.until == until && r.toValue == Self.v4)
                        #expect(r.between?.0 == between?.0 && r.between?.1 == between?.1 && r.fromValue == from)
                        r.between = (b, b)
                        r.kind = kind == .snat ? .dnat : .snat
                        #expect(r.between?.0 == b && r.between?.1 == b && r.fieldKind == field && r.kind != kind)
                        r.fieldKind = field == .id ? .src : .id
                        #expect(r.between?.0 == b && r.between?.1 == b && r.fieldKind != field && r.kind != kind)
                        r.fieldKind = field
                        r.between = nil
                        #expect(r.between == nil && r.fieldKind == field && r.fromValue == from && r.toValue == Self.v4)
                    }
                }
            }
        }
    }
}
