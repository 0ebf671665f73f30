/// One sighting of a packet at a capture point.
///
/// Stored packed (64 bytes, not 88): every flow keeps its latest journeys' hops, and at
/// 100k flows the hops were a third of the correlator's memory. Addresses are kept as two
/// words each with their family in `bits`; the optionals as values plus a bit each.
public struct Hop: Sendable, Equatable {
    private var srcHigh: UInt64
    private var srcLow: UInt64
    private var dstHigh: UInt64
    private var dstLow: UInt64
    public var time: EventTime
    /// `deltaMicros`, with `Self.none` for nil.
    private var delta: Int64 = Hop.none
    public var point: CapturePoint
    private var sportValue: UInt16 = 0
    private var dportValue: UInt16 = 0
    private var icmpIDValue: UInt16 = 0
    public var ttl: UInt8
    public var dir: PacketDirection
    private var bits: Bits = []

    private struct Bits: OptionSet, Sendable, Equatable {
        let rawValue: UInt8
        static let srcV6 = Bits(rawValue: 1), dstV6 = Bits(rawValue: 2)
        static let sport = Bits(rawValue: 4), dport = Bits(rawValue: 8), icmpID = Bits(rawValue: 16)
    }

    /// No delta: a value `delta(_:after:)` never yields (it clamps within ±2·EventTime.limit).
    private static let none = Int64.min

    public init(point: CapturePoint, dir: PacketDirection, time: EventTime, src: IPAddress, dst: IPAddress,
                sport: UInt16? = nil, dport: UInt16? = nil, icmpID: UInt16? = nil, ttl: UInt8 = 0) {
        self.point = point
        self.dir = dir
        self.time = time
        self.ttl = ttl
        (srcHigh, srcLow, dstHigh, dstLow) = (0, 0, 0, 0)
        self.src = src
        self.dst = dst
        self.sport = sport
        self.dport = dport
        self.icmpID = icmpID
    }

    public var src: IPAddress {
        get { Self.address(srcHigh, srcLow, v6: bits.contains(.srcV6)) }
        set { (srcHigh, srcLow) = Self.words(newValue); set(.srcV6, newValue.v4 == nil) }
    }
    public var dst: IPAddress {
        get { Self.address(dstHigh, dstLow, v6: bits.contains(.dstV6)) }
        set { (dstHigh, dstLow) = Self.words(newValue); set(.dstV6, newValue.v4 == nil) }
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
    /// Time since the previous hop in path order (nil for the first); negative when
    /// two capture points' clocks disagree.
    public var deltaMicros: Int64? {
        get { delta == Self.none ? nil : delta }
        set { delta = newValue ?? Self.none }
    }

    private mutating func set(_ bit: Bits, _ on: Bool) {
        if on { bits.insert(bit) } else { bits.remove(bit) }
    }

    private static func words(_ a: IPAddress) -> (UInt64, UInt64) {
        switch a {
        case .v4(let v4): (0, UInt64(v4.raw))
        case .v6(let v6): (v6.high, v6.low)
        }
    }

    private static func address(_ high: UInt64, _ low: UInt64, v6: Bool) -> IPAddress {
        v6 ? .v6(IPv6Address(high: high, low: low)) : .v4(IPv4Address(UInt32(truncatingIfNeeded: low)))
    }
}

/// The same packet seen at successive capture points.
public struct Journey: Sendable {
    /// Which way the packet went relative to the flow: the original direction, the
    /// reply direction, or an ICMP error about the flow.
    public enum Leg: String, Sendable { case request, reply, error }

    /// Increasing within its flow.
    public internal(set) var id: Int
    public internal(set) var leg: Leg
    /// In path order, then time.
    public internal(set) var hops: [Hop]
    /// The expected path from the journey's origin (empty when the path is unknown).
    public internal(set) var path: [CapturePoint]
    public internal(set) var verdict: Verdict
    /// lossTimeout has passed since the last sighting: the verdict is final unless a late sighting arrives.
    public internal(set) var settled: Bool
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
