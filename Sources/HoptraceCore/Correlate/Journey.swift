/// One sighting of a packet at a capture point.
///
/// Stored packed (40 bytes, not 88): every flow keeps its latest journeys' hops, and at
/// 100k flows the hops were a third of the correlator's memory. Two IPv4 addresses share
/// one word; what does not fit (an IPv6 address, a delta beyond ±35 minutes) goes to a
/// shared `HopOverflow`. The optionals are values plus a bit each.
public struct Hop: Sendable, Equatable {
    public var time: EventTime
    /// IPv4 source (high half) and destination (low half), when `overflow` is nil.
    private var v4Pair: UInt64 = 0
    /// What does not fit inline; nil for the usual IPv4 hop.
    private var overflow: HopOverflow?
    public var point: CapturePoint
    /// `deltaMicros` when it fits (`Self.none`: nil, or see `overflow`).
    private var delta32: Int32 = Hop.none
    private var sportValue: UInt16 = 0
    private var dportValue: UInt16 = 0
    private var icmpIDValue: UInt16 = 0
    public var ttl: UInt8
    private var bits: Bits = []

    private struct Bits: OptionSet, Sendable, Equatable {
        let rawValue: UInt8
        static let sport = Bits(rawValue: 1), dport = Bits(rawValue: 2), icmpID = Bits(rawValue: 4)
        /// The direction (two bits).
        static let dirShift: UInt8 = 3, dirMask = Bits(rawValue: 3 << 3)
    }

    private static let none = Int32.min

    public init(point: CapturePoint, dir: PacketDirection, time: EventTime, src: IPAddress, dst: IPAddress,
                sport: UInt16? = nil, dport: UInt16? = nil, icmpID: UInt16? = nil, ttl: UInt8 = 0) {
        self.point = point
        self.time = time
        self.ttl = ttl
        setAddresses(src: src, dst: dst)
        self.dir = dir
        self.sport = sport
        self.dport = dport
        self.icmpID = icmpID
    }

    public var src: IPAddress {
        get { overflow?.src ?? .v4(IPv4Address(UInt32(truncatingIfNeeded: v4Pair >> 32))) }
        set { setAddresses(src: newValue, dst: dst) }
    }
    public var dst: IPAddress {
        get { overflow?.dst ?? .v4(IPv4Address(UInt32(truncatingIfNeeded: v4Pair))) }
        set { setAddresses(src: src, dst: newValue) }
    }
    public var dir: PacketDirection {
        get {
            switch (bits.rawValue & Bits.dirMask.rawValue) >> Bits.dirShift {
            case 0: .inbound
            case 1: .outbound
            case 2: .host
            default: .other
            }
        }
        set {
            let i: UInt8 = switch newValue {
            case .inbound: 0
            case .outbound: 1
            case .host: 2
            case .other: 3
            }
            bits = Bits(rawValue: (bits.rawValue & ~Bits.dirMask.rawValue) | i << Bits.dirShift)
        }
    }
    /// TCP/UDP ports.
    public var sport: UInt16? {
        get { bits.contains(.sport) ? sportValue : nil }
        set { sportValue = newValue ?? 0; set(.sport, newValue != nil) }
    }
    public var dport: UInt16? {
        get { bits.contains(.dport) ? dportValue : nil }
        set { dportValue = newValue ?? 0; set(.dport, newValue != nil) }
    }
    /// ICMP echo id (MASQUERADE may remap it).
    public var icmpID: UInt16? {
        get { bits.contains(.icmpID) ? icmpIDValue : nil }
        set { icmpIDValue = newValue ?? 0; set(.icmpID, newValue != nil) }
    }
    /// Time since the previous hop in path order (nil for the first; never negative when
    /// the correlator sets it).
    public var deltaMicros: Int64? {
        get { delta32 != Self.none ? Int64(delta32) : overflow?.delta }
        set {
            if let d = newValue, let small = Int32(exactly: d), small != Self.none {
                delta32 = small
                if overflow?.delta != nil { overflow = HopOverflow(src: src, dst: dst, delta: nil) }
            } else {
                delta32 = Self.none
                if newValue != nil || overflow?.delta != nil { overflow = HopOverflow(src: src, dst: dst, delta: newValue) }
            }
            normalize()
        }
    }

    /// Shares `other`'s overflow when it holds the same (a packet's IPv6 hops then hold one between them).
    mutating func shareOverflow(with other: Hop) {
        guard let mine = overflow, let theirs = other.overflow, mine !== theirs, mine == theirs else { return }
        overflow = theirs
    }

    public static func == (a: Hop, b: Hop) -> Bool {
        a.time == b.time && a.point == b.point && a.ttl == b.ttl && a.bits == b.bits && a.sportValue == b.sportValue
            && a.dportValue == b.dportValue && a.icmpIDValue == b.icmpIDValue && a.src == b.src && a.dst == b.dst
            && a.deltaMicros == b.deltaMicros
    }

    private mutating func set(_ bit: Bits, _ on: Bool) {
        if on { bits.insert(bit) } else { bits.remove(bit) }
    }

    private mutating func setAddresses(src: IPAddress, dst: IPAddress) {
        let far = delta32 == Self.none ? overflow?.delta : nil
        if case .v4(let s) = src, case .v4(let d) = dst, far == nil {
            v4Pair = UInt64(s.raw) << 32 | UInt64(d.raw)
            overflow = nil
        } else {
            v4Pair = 0
            overflow = HopOverflow(src: src, dst: dst, delta: far)
        }
    }

    /// Back inline once nothing needs the overflow.
    private mutating func normalize() {
        if let o = overflow, o.delta == nil, case .v4(let s) = o.src, case .v4(let d) = o.dst {
            v4Pair = UInt64(s.raw) << 32 | UInt64(d.raw)
            overflow = nil
        }
    }
}

/// A hop's parts that do not fit inline. Immutable, so hops copied from one another share it.
final class HopOverflow: Sendable, Equatable {
    let src: IPAddress
    let dst: IPAddress
    let delta: Int64?
    init(src: IPAddress, dst: IPAddress, delta: Int64?) {
        self.src = src
        self.dst = dst
        self.delta = delta
    }
    static func == (a: HopOverflow, b: HopOverflow) -> Bool { a.src == b.src && a.dst == b.dst && a.delta == b.delta }
}

/// The same packet seen at successive capture points.
public struct Journey: Sendable {
    /// Which way the packet went relative to the flow: the original direction, the
    /// reply direction, or an ICMP error about the flow.
    public enum Leg: String, Sendable { case request, reply, error }

    // The small fields together: 120 bytes, not 128 (a flow's ring of one journey then fits
    // malloc's 160-byte size).
    /// Increasing within its flow.
    public internal(set) var id: Int
    /// In path order, then time.
    public internal(set) var hops: [Hop]
    /// The expected path from the journey's origin (empty when the path is unknown).
    public internal(set) var path: [CapturePoint]
    public internal(set) var verdict: Verdict
    /// lossTimeout has passed since the last sighting: the verdict is final unless a late sighting arrives.
    public internal(set) var settled: Bool
    public internal(set) var leg: Leg
    /// The echo sequence number (ICMP echo journeys).
    public internal(set) var icmpSeq: UInt16?
    /// ICMP error type and code (error journeys).
    public internal(set) var icmpError: (type: UInt8, code: UInt8)?
    public internal(set) var firstTime: EventTime
    public internal(set) var lastTime: EventTime

    var signature: JourneySignature
    /// The flow's journey index names this journey for its signature: the one a new
    /// sighting with that signature may join (at most one per signature). A flag here
    /// instead of a per-flow dictionary: no allocation, no hashing.
    var indexed = false
    /// The correlator's path epoch when `path` was worked out (a topology change starts a new one).
    var pathEpoch = 0

    init(id: Int, leg: Leg, hops: [Hop], path: [CapturePoint], verdict: Verdict, settled: Bool, icmpSeq: UInt16?,
         icmpError: (type: UInt8, code: UInt8)?, firstTime: EventTime, lastTime: EventTime, signature: JourneySignature) {
        self.id = id
        self.leg = leg
        self.hops = hops
        self.path = path
        self.verdict = verdict
        self.settled = settled
        self.icmpSeq = icmpSeq
        self.icmpError = icmpError
        self.firstTime = firstTime
        self.lastTime = lastTime
        self.signature = signature
    }

    /// Time from the first to the last hop in path order: the sum of the hops' deltas,
    /// which are never negative (clock noise between points is not time travelled).
    /// Saturating: a delta can be up to twice `EventTime.limit`, so a few of them can overflow an Int64.
    public var spanMicros: Int64 {
        hops.reduce(Int64(0)) { sum, hop in
            let (total, overflow) = sum.addingReportingOverflow(max(0, hop.deltaMicros ?? 0))
            return overflow ? .max : total
        }
    }
}

/// What stays the same while a packet is forwarded and NATed: its direction in the
/// flow, IP id, IP total length, and the transport's invariant (ICMP echo seq; TCP
/// seq, ack and flags — NAT rewrites ports, never sequence numbers; UDP has none
/// beyond id and length; an ICMP error's type and code).
struct JourneySignature: Hashable, Sendable {
    // Widest first: 24 bytes, not 32.
    var length: Int
    var a: UInt32 = 0
    var b: UInt32 = 0
    var ipID: UInt16
    var leg: Journey.Leg
    var c: UInt8 = 0

    init(packet p: DecodedPacket, leg: Journey.Leg) {
        self.leg = leg
        ipID = p.ipID
        length = p.length
        switch p.transport {
        case .icmp(let type, let code, _, let seq), .icmpv6(let type, let code, _, let seq):
            if leg == .error {
                a = UInt32(type) << 8 | UInt32(code)
            } else {
                a = UInt32(seq ?? 0)
            }
        case .tcp(_, _, let flags, let seq, let ack, _):
            a = seq
            b = ack
            c = flags
        default:
            break
        }
    }
}

extension Journey {
    /// The TCP flags of the packet (0 for other protocols): the TUI labels a TCP
    /// journey with them (S, S., F., …).
    public var tcpFlags: UInt8 { signature.c }
}
