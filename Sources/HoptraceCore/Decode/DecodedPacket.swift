/// Direction of a packet at its capture point: from the cooked header's packet
/// type, or from the interface's own MAC on Ethernet.
public enum PacketDirection: String, Sendable {
    case inbound = "in", outbound = "out", host, other

    /// `rawValue` as a literal (a packet line writes it without scanning it for escapes).
    public var word: StaticString {
        switch self {
        case .inbound: "in"
        case .outbound: "out"
        case .host: "host"
        case .other: "other"
        }
    }
}

/// The headers hoptrace cares about, decoded. Addresses stay as values until printed.
public struct DecodedPacket: Sendable, Equatable {
    public enum Transport: Sendable, Equatable {
        case icmp(type: UInt8, code: UInt8, id: UInt16?, seq: UInt16?)
        /// ICMPv6 (RFC 4443): echo is 128/129, errors 1–4.
        case icmpv6(type: UInt8, code: UInt8, id: UInt16?, seq: UInt16?)
        case tcp(sport: UInt16, dport: UInt16, flags: UInt8, seq: UInt32, ack: UInt32, window: UInt16)
        case udp(sport: UInt16, dport: UInt16)
        case other(proto: UInt8)
        /// The IP header was complete but the transport header was cut off.
        case truncated(proto: UInt8)
    }

    /// An IP fragment: only the first (offset 0) carries the transport header.
    public struct Fragment: Sendable, Equatable {
        public var offset: Int
        public var more: Bool
        public init(offset: Int, more: Bool) {
            self.offset = offset
            self.more = more
        }
    }

    /// ARP (RFC 826) request/reply for IPv4 over Ethernet.
    public struct ARP: Sendable, Equatable {
        public var operation: UInt16
        public var senderIP: IPv4Address
        public var targetIP: IPv4Address
        public init(operation: UInt16, senderIP: IPv4Address, targetIP: IPv4Address) {
            self.operation = operation
            self.senderIP = senderIP
            self.targetIP = targetIP
        }
    }

    /// The original datagram's headers quoted inside an ICMP/ICMPv6 error: that is
    /// how an error is tied to the flow it reports on.
    public struct Quoted: Sendable, Equatable {
        public var src: IPAddress
        public var dst: IPAddress
        public var proto: UInt8
        public var ipID: UInt16
        public var sport: UInt16?
        public var dport: UInt16?
        public var icmpID: UInt16?
        public var icmpSeq: UInt16?
        public init(src: IPAddress, dst: IPAddress, proto: UInt8, ipID: UInt16 = 0, sport: UInt16? = nil,
                    dport: UInt16? = nil, icmpID: UInt16? = nil, icmpSeq: UInt16? = nil) {
            self.src = src
            self.dst = dst
            self.proto = proto
            self.ipID = ipID
            self.sport = sport
            self.dport = dport
            self.icmpID = icmpID
            self.icmpSeq = icmpSeq
        }
    }

    public var direction: PacketDirection
    public var etherType: UInt16
    public var src: IPAddress?
    public var dst: IPAddress?
    /// IPv4 identification (IPv6: the fragment header's id, else 0). Forwarding and NAT keep it.
    public var ipID: UInt16 = 0
    /// TTL, or IPv6 hop limit.
    public var ttl: UInt8 = 0
    /// IP total length (IPv6: payload length + 40), else the frame's length.
    public var length: Int
    public var transport: Transport?
    public var fragment: Fragment?
    /// Out of line, like `quoted`: rare, and inline they made every packet's many copies
    /// (through the merge, the correlator, the sinks) 70 bytes longer.
    public var arp: ARP? {
        get { arpStorage.map { $0.value } }
        set { arpStorage = newValue.map(OutOfLine.value) }
    }
    public var quoted: Quoted? {
        get { quotedStorage.map { $0.value } }
        set { quotedStorage = newValue.map(OutOfLine.value) }
    }
    private var arpStorage: OutOfLine<ARP>?
    private var quotedStorage: OutOfLine<Quoted>?

    public init(direction: PacketDirection, etherType: UInt16, src: IPAddress? = nil, dst: IPAddress? = nil,
                ipID: UInt16 = 0, ttl: UInt8 = 0, length: Int, transport: Transport? = nil) {
        self.direction = direction
        self.etherType = etherType
        self.src = src
        self.dst = dst
        self.ipID = ipID
        self.ttl = ttl
        self.length = length
        self.transport = transport
    }

    /// The IP protocol number, when the packet is IP.
    public var proto: UInt8? {
        switch transport {
        case .icmp: IPProtocol.icmp
        case .icmpv6: IPProtocol.icmpv6
        case .tcp: IPProtocol.tcp
        case .udp: IPProtocol.udp
        case .other(let p), .truncated(let p): p
        case nil: nil
        }
    }
}

/// A value kept on the heap behind one reference (an indirect case is boxed), compared by value.
enum OutOfLine<Value: Sendable & Equatable>: Sendable, Equatable {
    indirect case value(Value)

    var value: Value {
        switch self {
        case .value(let v): v
        }
    }
}
