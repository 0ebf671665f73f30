/// A packet as a netfilter hook sees it: what nftables rules test. Every field a hook may not
/// know (the output interface at prerouting, the conntrack state of an untracked capture) is
/// optional, and a rule testing an unknown field is "not evaluated" rather than guessed.
public struct RulePacket: Sendable, Hashable {
    public var saddr: IPAddress
    public var daddr: IPAddress
    /// The transport (IANA number, `IPProtocol`).
    public var l4proto: UInt8
    public var sport: UInt16?
    public var dport: UInt16?
    /// ICMP or ICMPv6 type, for `icmp type` / `icmpv6 type`.
    public var icmpType: UInt8?
    public var iifname: String?
    public var oifname: String?
    public var ctState: CtState?
    /// The whole status word: `ct status ==` compares all bits.
    public var ctStatus: ConntrackStatus?
    public var mark: UInt32?
    /// Whether the destination is an address of this host (`fib daddr type local`, iptables'
    /// `-m addrtype --dst-type LOCAL`); nil when the caller did not look.
    public var isLocalDestination: Bool?
    public var isLocalSource: Bool?

    public init(saddr: IPAddress, daddr: IPAddress, l4proto: UInt8, sport: UInt16? = nil, dport: UInt16? = nil,
                icmpType: UInt8? = nil, iifname: String? = nil, oifname: String? = nil, ctState: CtState? = nil,
                ctStatus: ConntrackStatus? = nil, mark: UInt32? = nil, isLocalDestination: Bool? = nil,
                isLocalSource: Bool? = nil) {
        self.saddr = saddr
        self.daddr = daddr
        self.l4proto = l4proto
        self.sport = sport
        self.dport = dport
        self.icmpType = icmpType
        self.iifname = iifname
        self.oifname = oifname
        self.ctState = ctState
        self.ctStatus = ctStatus
        self.mark = mark
        self.isLocalDestination = isLocalDestination
        self.isLocalSource = isLocalSource
    }

    /// IPv4 or IPv6, from the addresses: which tables (ip, ip6, inet) see the packet.
    public var isIPv6: Bool { if case .v6 = saddr { true } else { false } }

    /// Whether the transport carries ports at all: a port test on ICMP fails rather than being unknown.
    var hasPorts: Bool { RulePacket.transportsWithPorts.contains(l4proto) }

    /// tcp, udp, dccp, sctp, udplite: the transports nft's `th` header reads ports from.
    static let transportsWithPorts: Set<UInt8> = [IPProtocol.tcp, IPProtocol.udp, IPProtocol.sctp, NFTSymbols.dccp, NFTSymbols.udplite]
}

/// The conntrack state a rule's `ct state` sees, one per packet.
public enum CtState: String, Sendable, Hashable, CaseIterable {
    case new, established, related, invalid, untracked

    /// nft's bit for the state (`NF_CT_STATE_*_BIT`): `ct state a,b` tests any of them.
    var bit: UInt32 {
        switch self {
        case .invalid: 1
        case .established: 2
        case .related: 4
        case .new: 8
        case .untracked: 64
        }
    }
}
