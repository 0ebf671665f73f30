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

    @Test func aRewriteIsFortyBytes() {
        #expect(MemoryLayout<NATRewrite>.stride == 40)
    }
}
