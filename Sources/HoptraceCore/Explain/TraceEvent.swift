// One nftables trace message (NFT_MSG_TRACE on the NFNLGRP_NFTRACE group), as
// include/uapi/linux/netfilter/nf_tables.h describes it (enum nft_trace_attributes) and
// net/netfilter/nf_tables_trace.c emits it: for every base/regular chain a packet marked
// with `meta nftrace set 1` traverses, one event per rule whose verdict matters, one for
// the chain's policy or return, the first event of each hook carrying the packet's headers.

/// The nf_tables families, as nfgenmsg and the ruleset name them.
public enum NFTFamily: UInt8, Sendable, Hashable, CustomStringConvertible {
    case inet = 1, ip = 2, arp = 3, netdev = 5, bridge = 7, ip6 = 10

    public var description: String {
        switch self {
        case .inet: "inet"
        case .ip: "ip"
        case .arp: "arp"
        case .netdev: "netdev"
        case .bridge: "bridge"
        case .ip6: "ip6"
        }
    }

    public init?(name: String) {
        switch name {
        case "inet": self = .inet
        case "ip": self = .ip
        case "arp": self = .arp
        case "netdev": self = .netdev
        case "bridge": self = .bridge
        case "ip6": self = .ip6
        default: return nil
        }
    }
}

/// A verdict as the kernel reports it: netfilter's (NF_DROP, NF_ACCEPT, …, ≥ 0) or
/// nf_tables' own (NFT_CONTINUE … NFT_RETURN, < 0), jump/goto with their chain.
public enum TraceVerdict: Sendable, Hashable, CustomStringConvertible {
    case drop, accept, stolen, queue, `repeat`, stop
    case `continue`, `break`, `return`
    case jump(String), goto(String)
    case other(Int32)

    /// From NFTA_VERDICT_CODE (+ NFTA_VERDICT_CHAIN) or NFTA_TRACE_POLICY.
    public init(code: Int32, chain: String? = nil) {
        if code >= 0 {
            // NF_DROP_ERR(errno) keeps the errno above the low byte (NF_VERDICT_MASK).
            switch code & 0xff {
            case 0: self = .drop
            case 1: self = .accept
            case 2: self = .stolen
            case 3: self = .queue
            case 4: self = .repeat
            case 5: self = .stop
            default: self = .other(code)
            }
            return
        }
        switch code {
        case -1: self = .continue
        case -2: self = .break
        case -3: self = .jump(chain ?? "?")
        case -4: self = .goto(chain ?? "?")
        case -5: self = .return
        default: self = .other(code)
        }
    }

    /// The packet's fate is decided here (for this hook at least): accept, drop, queue, stolen.
    public var isTerminal: Bool {
        switch self {
        case .drop, .accept, .stolen, .queue, .stop: true
        default: false
        }
    }

    public var isDrop: Bool { self == .drop }

    /// As nft prints it: "drop", "jump DOCKER".
    public var description: String {
        switch self {
        case .drop: "drop"
        case .accept: "accept"
        case .stolen: "stolen"
        case .queue: "queue"
        case .repeat: "repeat"
        case .stop: "stop"
        case .continue: "continue"
        case .break: "break"
        case .return: "return"
        case .jump(let c): "jump \(c)"
        case .goto(let c): "goto \(c)"
        case .other(let c): "verdict \(c)"
        }
    }
}

/// One trace event.
public struct TraceEvent: Sendable, Equatable {
    public enum Kind: Sendable, Hashable, CustomStringConvertible {
        /// The chain's policy decided (base chains).
        case policy
        /// The end of a regular chain was reached: back to the caller.
        case `return`
        /// A rule matched and its verdict is reported.
        case rule
        case unknown(UInt32)

        init(_ raw: UInt32) {
            switch raw {
            case 1: self = .policy
            case 2: self = .return
            case 3: self = .rule
            default: self = .unknown(raw)
            }
        }

        public var description: String {
            switch self {
            case .policy: "policy"
            case .return: "return"
            case .rule: "rule"
            case .unknown(let r): "type \(r)"
            }
        }
    }

    /// NFTA_TRACE_ID: the same for every event about one skb within one hook. (On 6.x kernels
    /// it changes between hooks: PREROUTING and FORWARD report different ids for one packet.)
    public var id: UInt32
    public var kind: Kind
    /// The table's family (nfgenmsg); nil for a family number nft does not know.
    public var family: NFTFamily?
    public var table: String
    public var chain: String
    public var ruleHandle: UInt64?
    /// The rule's verdict (kind rule), the policy (kind policy), or nil.
    public var verdict: TraceVerdict?
    public var iif: UInt32?
    public var oif: UInt32?
    public var mark: UInt32?
    /// NFTA_TRACE_NFPROTO: the protocol family of the hook (2 ipv4, 10 ipv6, 7 bridge).
    public var nfproto: UInt32?
    public var linkHeader: [UInt8]?
    public var networkHeader: [UInt8]?
    public var transportHeader: [UInt8]?
    /// conntrack facts (NFTA_TRACE_CT_ID…CT_STATE, Linux ≥ 6.13): the entry's id (as
    /// conntrack events report it), direction (0 original, 1 reply), status bits, state bits.
    public var conntrackID: UInt32?
    public var conntrackDirection: UInt8?
    public var conntrackStatus: ConntrackStatus?
    public var conntrackState: UInt32?

    public init(id: UInt32, kind: Kind, family: NFTFamily?, table: String, chain: String,
                ruleHandle: UInt64? = nil, verdict: TraceVerdict? = nil) {
        self.id = id
        self.kind = kind
        self.family = family
        self.table = table
        self.chain = chain
        self.ruleHandle = ruleHandle
        self.verdict = verdict
    }

    /// The packet the headers describe (only the first event of a hook carries them).
    public var packet: DecodedPacket? {
        guard let net = networkHeader, !net.isEmpty else { return nil }
        return try? PacketDecoder.decodeRawIP(net + (transportHeader ?? []), wireLength: 0)
    }

    static let nfnlSubsysNFTables: UInt16 = 10
    static let nftMsgTrace: UInt16 = 17

    /// Parses one netlink message. Throws for anything that is not a well-formed trace.
    public init(message bytes: [UInt8]) throws(NetlinkParseError) {
        let m = try NetlinkMessage(bytes)
        guard m.type == Self.nfnlSubsysNFTables << 8 | Self.nftMsgTrace else { throw .notATrace(type: m.type) }
        guard let idAttr = m.attribute(6) else { throw .truncated("NFTA_TRACE_ID missing") }
        guard let typeAttr = m.attribute(4) else { throw .truncated("NFTA_TRACE_TYPE missing") }
        self.init(id: try idAttr.be32(), kind: Kind(try typeAttr.be32()), family: NFTFamily(rawValue: m.family),
                  table: m.attribute(1)?.string ?? "", chain: m.attribute(2)?.string ?? "")
        ruleHandle = try m.attribute(3)?.be64()
        if let v = m.attribute(5) {
            let children = try v.children()
            if let code = children.first(where: { $0.type == 1 }) {
                let chain = children.first { $0.type == 2 }?.string
                verdict = TraceVerdict(code: Int32(bitPattern: try code.be32()), chain: chain)
            }
        }
        if kind == .policy, let p = m.attribute(16) {
            verdict = TraceVerdict(code: Int32(bitPattern: try p.be32()))
        }
        linkHeader = m.attribute(7)?.payload
        networkHeader = m.attribute(8)?.payload
        transportHeader = m.attribute(9)?.payload
        iif = try m.attribute(10)?.be32()
        oif = try m.attribute(12)?.be32()
        mark = try m.attribute(14)?.be32()
        nfproto = try m.attribute(15)?.be32()
        conntrackID = try m.attribute(18)?.be32()
        conntrackDirection = try m.attribute(19)?.u8()
        if let status = try m.attribute(20)?.be32() { conntrackStatus = ConntrackStatus(rawValue: status) }
        conntrackState = try m.attribute(21)?.be32()
    }

    /// Every trace in a receive buffer; messages that are not traces (or are malformed) are
    /// counted in `skipped`, never trapped on.
    public static func parseAll(_ buffer: [UInt8]) -> (events: [TraceEvent], skipped: Int) {
        var events: [TraceEvent] = []
        var skipped = 0
        var offset = 0
        while buffer.count - offset >= 16 {
            let len = Int(NetlinkMessage.le32(buffer, offset))
            guard len >= 16, len <= buffer.count - offset else { return (events, skipped + 1) }
            if let e = try? TraceEvent(message: Array(buffer[offset..<offset + len])) {
                events.append(e)
            } else {
                skipped += 1
            }
            offset += NetlinkMessage.align4(len)
        }
        return (events, skipped)
    }

    /// `ip filter FORWARD`.
    public var chainName: String {
        "\(family.map { "\($0)" } ?? "?") \(table) \(chain)"
    }
}
