/// A `Hop` as a journey's hop list stores it: 24 bytes and no reference, for the usual hop
/// (two IPv4 addresses, within ±35 minutes of the list's base time (its first hop's when it
/// was made or started), a delta of 0 to 524,286 µs, ports or an echo id but not both). A
/// list holds its hops this way while every one of them packs; `init` says nil for one that
/// does not, and the list keeps its hops whole instead.
struct PackedHop: Sendable, Equatable {
    private let addresses: IPv4Pair
    /// Microseconds since the list's base time.
    private let offset: Int32
    private let point: UInt32
    /// sport high and dport low, or the ICMP echo id low (a hop has one or the other).
    private let ports: UInt32
    /// `Hop.packedFlags` (bits 0–4: direction, and which of sport, dport, icmpID are set),
    /// ttl (5–12), the delta (13–31; all ones: nil).
    private let misc: UInt32

    private static let sportBit: UInt32 = 1, dportBit: UInt32 = 2, icmpIDBit: UInt32 = 4, flagMask: UInt32 = 31
    private static let ttlShift: UInt32 = 5, deltaShift: UInt32 = 13
    private static let noDelta: UInt32 = (1 << 19) - 1

    init?(_ h: Hop, base: EventTime) {
        guard let pair = IPv4Pair(src: h.src, dst: h.dst),
              let offset = Int32(exactly: h.time.micros(since: base)) else { return nil }
        let delta: UInt32
        if let d = h.deltaMicros {
            guard d >= 0, d < Int64(Self.noDelta) else { return nil }
            delta = UInt32(d)
        } else {
            delta = Self.noDelta
        }
        let flags = h.packedFlags
        if flags & Self.icmpIDBit != 0 {
            guard flags & (Self.sportBit | Self.dportBit) == 0 else { return nil }
            ports = UInt32(h.icmpID ?? 0)
        } else {
            ports = UInt32(h.sport ?? 0) << 16 | UInt32(h.dport ?? 0)
        }
        addresses = pair
        self.offset = offset
        point = h.point.handle
        misc = flags | UInt32(h.ttl) << Self.ttlShift | delta << Self.deltaShift
    }

    func hop(base: EventTime) -> Hop {
        let flags = misc & Self.flagMask, delta = misc >> Self.deltaShift
        let echo = flags & Self.icmpIDBit != 0
        return Hop(point: CapturePoint(handle: point), time: base.adding(micros: Int64(offset)), pair: addresses,
                   ttl: UInt8(truncatingIfNeeded: misc >> Self.ttlShift),
                   sport: echo ? 0 : UInt16(truncatingIfNeeded: ports >> 16), dport: echo ? 0 : UInt16(truncatingIfNeeded: ports),
                   icmpID: echo ? UInt16(truncatingIfNeeded: ports) : 0, flagBits: flags,
                   delta: delta == Self.noDelta ? nil : Int32(delta))
    }

    func time(base: EventTime) -> EventTime { base.adding(micros: Int64(offset)) }

    /// The hop's capture point, without making the whole hop (the correlator asks this of
    /// every hop of a journey on each sighting).
    var capturePoint: CapturePoint { CapturePoint(handle: point) }
}
