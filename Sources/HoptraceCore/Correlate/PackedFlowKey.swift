/// A `FlowKey` as a flow stores it: 24 bytes, not 48. Two IPv4 addresses share one word,
/// ports and protocol another; IPv6 addresses sit behind a shared reference. Every flow
/// holds two keys (orig, reply), so at 100k flows this is about 5 MB.
struct PackedFlowKey: Sendable {
    /// `unused` when `wide` holds them.
    private let addresses: IPv4Pair
    /// sport (bits 48–63), dport (32–47), proto (0–7).
    private let rest: UInt64
    /// Both addresses, when either is not IPv4.
    private let wide: Boxed<(src: IPAddress, dst: IPAddress)>?

    init(_ k: FlowKey) {
        rest = UInt64(k.sport) << 48 | UInt64(k.dport) << 32 | UInt64(k.proto)
        if let pair = IPv4Pair(src: k.src, dst: k.dst) {
            addresses = pair
            wide = nil
        } else {
            addresses = .unused
            wide = Boxed((k.src, k.dst))
        }
    }

    var key: FlowKey {
        let (src, dst) = wide?.value ?? (addresses.src, addresses.dst)
        return FlowKey(proto: UInt8(truncatingIfNeeded: rest), src: src, dst: dst,
                       sport: UInt16(truncatingIfNeeded: rest >> 48), dport: UInt16(truncatingIfNeeded: rest >> 32))
    }
}
