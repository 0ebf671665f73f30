/// One sighting of a packet at a capture point.
///
/// Stored packed (32 bytes, not 88): every flow keeps its latest journeys' hops, and at
/// 100k flows the hops were a third of the correlator's memory. Two IPv4 addresses share
/// one word; what does not fit (an IPv6 address, a delta beyond ±67 seconds) goes to a
/// shared `HopOverflow` in that word's place. The optionals are values plus a bit each; the
/// bits share a word with the delta.
public struct Hop: Sendable, Equatable {
    // In this order the fields fill 32 bytes: the 9-byte `addresses` leaves room for `ttl`
    // and the ports before the next 4-byte boundary.
    public var time: EventTime
    private var addresses: Addresses
    public var ttl: UInt8
    private var sportValue: UInt16 = 0
    private var dportValue: UInt16 = 0
    private var icmpIDValue: UInt16 = 0
    public var point: CapturePoint
    /// The flag bits (low 5) and `deltaMicros` as a 27-bit signed value above them
    /// (`noDelta`: nil, or the delta is in the overflow).
    private var word: UInt32 = UInt32(bitPattern: Hop.noDelta << Hop.deltaShift)

    private enum Addresses: Sendable {
        case v4(IPv4Pair)
        /// What does not fit inline.
        case wide(HopOverflow)
    }

    private struct Bits: OptionSet, Sendable, Equatable {
        let rawValue: UInt32
        static let sport = Bits(rawValue: 1), dport = Bits(rawValue: 2), icmpID = Bits(rawValue: 4)
        /// The direction (two bits).
        static let dirShift: UInt32 = 3, dirMask = Bits(rawValue: 3 << 3)
        static let all = Bits(rawValue: 31)
    }

    private static let deltaShift: Int32 = 5
    /// The one 27-bit value no inline delta takes; inline deltas lie strictly within ±2^26 µs.
    private static let noDelta: Int32 = -(1 << 26)

    private var bits: Bits {
        get { Bits(rawValue: word & Bits.all.rawValue) }
        set { word = word & ~Bits.all.rawValue | newValue.rawValue }
    }
    private var delta27: Int32 {
        get { Int32(bitPattern: word) >> Self.deltaShift }
        set { word = UInt32(bitPattern: newValue << Self.deltaShift) | bits.rawValue }
    }
    private var overflow: HopOverflow? {
        if case .wide(let o) = addresses { return o }
        return nil
    }

    public init(point: CapturePoint, dir: PacketDirection, time: EventTime, src: IPAddress, dst: IPAddress,
                sport: UInt16? = nil, dport: UInt16? = nil, icmpID: UInt16? = nil, ttl: UInt8 = 0) {
        self.point = point
        self.time = time
        self.ttl = ttl
        addresses = .v4(.unused)
        setAddresses(src: src, dst: dst)
        self.dir = dir
        self.sport = sport
        self.dport = dport
        self.icmpID = icmpID
    }

    /// A hop as `PackedHop` stored it, set field by field: what the public init checks (the
    /// family, the delta's range) a packed hop already met. `flagBits` are `packedFlags`'.
    init(point: CapturePoint, time: EventTime, pair: IPv4Pair, ttl: UInt8, sport: UInt16, dport: UInt16, icmpID: UInt16,
         flagBits: UInt32, delta: Int32?) {
        self.point = point
        self.time = time
        self.ttl = ttl
        addresses = .v4(pair)
        sportValue = sport
        dportValue = dport
        icmpIDValue = icmpID
        word = UInt32(bitPattern: (delta ?? Self.noDelta) << Self.deltaShift) | flagBits & Bits.all.rawValue
    }

    /// The direction and which of sport, dport and icmpID are set, as five bits (`PackedHop` keeps them as they are).
    var packedFlags: UInt32 { bits.rawValue }

    public var src: IPAddress {
        get {
            switch addresses {
            case .v4(let pair): pair.src
            case .wide(let o): o.src
            }
        }
        set { setAddresses(src: newValue, dst: dst) }
    }
    public var dst: IPAddress {
        get {
            switch addresses {
            case .v4(let pair): pair.dst
            case .wide(let o): o.dst
            }
        }
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
            let i: UInt32 = switch newValue {
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
        get { delta27 != Self.noDelta ? Int64(delta27) : overflow?.delta }
        set {
            if let d = newValue, d > Int64(Self.noDelta), d < -Int64(Self.noDelta) {
                delta27 = Int32(d)
                if overflow?.delta != nil { addresses = .wide(HopOverflow(src: src, dst: dst, delta: nil)) }
            } else {
                delta27 = Self.noDelta
                if newValue != nil || overflow?.delta != nil {
                    addresses = .wide(HopOverflow(src: src, dst: dst, delta: newValue))
                }
            }
            normalize()
        }
    }

    /// Shares `other`'s overflow when it holds the same (a packet's IPv6 hops then hold one between them).
    mutating func shareOverflow(with other: Hop) {
        guard let mine = overflow, let theirs = other.overflow, mine !== theirs, mine == theirs else { return }
        addresses = .wide(theirs)
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
        let far = delta27 == Self.noDelta ? overflow?.delta : nil
        if far == nil, let pair = IPv4Pair(src: src, dst: dst) {
            addresses = .v4(pair)
        } else {
            addresses = .wide(HopOverflow(src: src, dst: dst, delta: far))
        }
    }

    /// Back inline once nothing needs the overflow.
    private mutating func normalize() {
        if let o = overflow, o.delta == nil, let pair = IPv4Pair(src: o.src, dst: o.dst) {
            addresses = .v4(pair)
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

    // In this order the fields fill 96 bytes, not 128: a flow's ring of one journey then fits
    // malloc's 128-byte size. The leg and an error's type and code are the signature's own.
    /// Increasing within its flow.
    public internal(set) var id: Int
    /// In path order, then time.
    public internal(set) var hops: HopList
    /// The expected path from the journey's origin (empty when the path is unknown).
    public internal(set) var path: [CapturePoint]
    public internal(set) var verdict: Verdict
    public internal(set) var firstTime: EventTime
    public internal(set) var lastTime: EventTime
    var signature: JourneySignature
    /// The correlator's path epoch when `path` was worked out (a topology change starts a new one).
    var pathEpoch: UInt32 = 0
    /// The echo sequence number (ICMP echo journeys).
    public internal(set) var icmpSeq: UInt16?
    private var flags: Flags

    private struct Flags: OptionSet {
        let rawValue: UInt8
        static let settled = Flags(rawValue: 1), indexed = Flags(rawValue: 2), icmpError = Flags(rawValue: 4)
    }

    /// lossTimeout has passed since the last sighting: the verdict is final unless a late sighting arrives.
    public internal(set) var settled: Bool {
        get { flags.contains(.settled) }
        set { if newValue { flags.insert(.settled) } else { flags.remove(.settled) } }
    }
    /// The flow's journey index names this journey for its signature: the one a new
    /// sighting with that signature may join (at most one per signature). A flag here
    /// instead of a per-flow dictionary: no allocation, no hashing.
    var indexed: Bool {
        get { flags.contains(.indexed) }
        set { if newValue { flags.insert(.indexed) } else { flags.remove(.indexed) } }
    }
    public internal(set) var leg: Leg {
        get { signature.leg }
        set { signature.leg = newValue }
    }
    /// ICMP error type and code (error journeys): the signature holds them.
    public var icmpError: (type: UInt8, code: UInt8)? {
        guard flags.contains(.icmpError) else { return nil }
        return (UInt8(truncatingIfNeeded: signature.a >> 8), UInt8(truncatingIfNeeded: signature.a))
    }

    init(id: Int, leg: Leg, hops: HopList, path: [CapturePoint], verdict: Verdict, settled: Bool, icmpSeq: UInt16?,
         icmpError: (type: UInt8, code: UInt8)?, firstTime: EventTime, lastTime: EventTime, signature: JourneySignature) {
        self.id = id
        self.hops = hops
        self.path = path
        self.verdict = verdict
        self.icmpSeq = icmpSeq
        self.firstTime = firstTime
        self.lastTime = lastTime
        self.signature = signature
        self.signature.leg = leg
        flags = settled ? .settled : []
        if let e = icmpError {
            precondition(leg == .error && signature.a == UInt32(e.type) << 8 | UInt32(e.code),
                         "an error journey's signature holds its type and code")
            flags.insert(.icmpError)
        }
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
    // Widest first: 16 bytes, not 24 (an IP datagram's length fits 32 bits).
    var length: UInt32
    var a: UInt32 = 0
    var b: UInt32 = 0
    var ipID: UInt16
    var leg: Journey.Leg
    var c: UInt8 = 0

    init(packet p: DecodedPacket, leg: Journey.Leg) {
        self.leg = leg
        ipID = p.ipID
        length = UInt32(truncatingIfNeeded: p.length)
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
