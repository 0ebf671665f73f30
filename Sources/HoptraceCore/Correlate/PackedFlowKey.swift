/// A `FlowKey` as a flow stores it: 24 bytes, not 48. Two IPv4 addresses share one word,
/// ports and protocol another; IPv6 addresses sit behind a shared reference. Every flow
/// holds two keys (orig, reply), so at 100k flows this is about 5 MB.
struct PackedFlowKey: Sendable {
    /// IPv4 source (high half) and destination (low half); 0 when `wide` holds them.
    private let addresses: UInt64
    /// sport (bits 48–63), dport (32–47), proto (0–7).
    private let rest: UInt64
    /// Both addresses, when either is not IPv4.
    private let wide: Boxed<(src: IPAddress, dst: IPAddress)>?

    init(_ k: FlowKey) {
        rest = UInt64(k.sport) << 48 | UInt64(k.dport) << 32 | UInt64(k.proto)
        if case .v4(let s) = k.src, case .v4(let d) = k.dst {
            addresses = UInt64(s.raw) << 32 | UInt64(d.raw)
            wide = nil
        } else {
            addresses = 0
            wide = Boxed((k.src, k.dst))
        }
    }

    var key: FlowKey {
        let src: IPAddress, dst: IPAddress
        if let wide {
            (src, dst) = wide.value
        } else {
            src = .v4(IPv4Address(UInt32(truncatingIfNeeded: addresses >> 32)))
            dst = .v4(IPv4Address(UInt32(truncatingIfNeeded: addresses)))
        }
        return FlowKey(proto: UInt8(truncatingIfNeeded: rest), src: src, dst: dst,
                       sport: UInt16(truncatingIfNeeded: rest >> 48), dport: UInt16(truncatingIfNeeded: rest >> 32))
    }
}
