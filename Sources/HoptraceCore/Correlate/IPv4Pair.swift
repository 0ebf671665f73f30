/// A source and destination IPv4 address in one word (source high, destination low): how
/// the packed values (`Hop`, `PackedFlowKey`, `Flow.ConntrackRecord`) hold the usual pair
/// inline, keeping anything else behind a reference.
struct IPv4Pair: Sendable, Equatable {
    let raw: UInt64

    /// The word a packed value holds while its addresses are elsewhere.
    static let unused = IPv4Pair(raw: 0)

    private init(raw: UInt64) { self.raw = raw }

    /// nil unless both are IPv4.
    init?(src: IPAddress, dst: IPAddress) {
        guard case .v4(let s) = src, case .v4(let d) = dst else { return nil }
        raw = UInt64(s.raw) << 32 | UInt64(d.raw)
    }

    var src: IPAddress { .v4(IPv4Address(UInt32(truncatingIfNeeded: raw >> 32))) }
    var dst: IPAddress { .v4(IPv4Address(UInt32(truncatingIfNeeded: raw))) }
}
