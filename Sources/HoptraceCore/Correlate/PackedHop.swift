/// A `Hop` as a journey's hop list stores it: 24 bytes and no reference, for the usual hop
/// (two IPv4 addresses, within ±35 minutes of the list's first hop, a delta below half a
/// second). A list holds its hops this way while every one of them packs; `init` says nil
/// for one that does not, and the list keeps its hops whole instead.
struct PackedHop: Sendable, Equatable {
    private let addresses: IPv4Pair
    /// Microseconds since the list's base time.
    private let offset: Int32
    private let point: UInt32
    /// sport high and dport low, or the ICMP echo id low (a hop has one or the other).
    private let ports: UInt32
    /// ttl (bits 0–7), direction (8–9), which of sport, dport, icmpID are set (10–12),
    /// the delta (13–31; all ones: nil).
    private let misc: UInt32

    private static let sportBit: UInt32 = 1 << 10, dportBit: UInt32 = 1 << 11, icmpIDBit: UInt32 = 1 << 12
    private static let deltaShift: UInt32 = 13
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
        var misc = UInt32(h.ttl) | Self.direction(h.dir) << 8 | delta << Self.deltaShift
        if let id = h.icmpID {
            guard h.sport == nil, h.dport == nil else { return nil }
            misc |= Self.icmpIDBit
            ports = UInt32(id)
        } else {
            if h.sport != nil { misc |= Self.sportBit }
            if h.dport != nil { misc |= Self.dportBit }
            ports = UInt32(h.sport ?? 0) << 16 | UInt32(h.dport ?? 0)
        }
        addresses = pair
        self.offset = offset
        point = h.point.handle
        self.misc = misc
    }

    func hop(base: EventTime) -> Hop {
        let flags = misc
        let dir: PacketDirection = switch flags >> 8 & 3 {
        case 0: .inbound
        case 1: .outbound
        case 2: .host
        default: .other
        }
        var h = Hop(point: CapturePoint(handle: point), dir: dir, time: base.adding(micros: Int64(offset)),
                    src: addresses.src, dst: addresses.dst,
                    sport: flags & Self.sportBit != 0 ? UInt16(truncatingIfNeeded: ports >> 16) : nil,
                    dport: flags & Self.dportBit != 0 ? UInt16(truncatingIfNeeded: ports) : nil,
                    icmpID: flags & Self.icmpIDBit != 0 ? UInt16(truncatingIfNeeded: ports) : nil,
                    ttl: UInt8(truncatingIfNeeded: flags))
        let delta = flags >> Self.deltaShift
        if delta != Self.noDelta { h.deltaMicros = Int64(delta) }
        return h
    }

    /// The hop's capture point, without making the whole hop (the correlator asks this of
    /// every hop of a journey on each sighting).
    var capturePoint: CapturePoint { CapturePoint(handle: point) }

    private static func direction(_ d: PacketDirection) -> UInt32 {
        switch d {
        case .inbound: 0
        case .outbound: 1
        case .host: 2
        case .other: 3
        }
    }
}
