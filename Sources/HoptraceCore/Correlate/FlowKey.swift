/// A flow's 5-tuple as seen in one direction at one place. For ICMP/ICMPv6 echo the
/// echo id fills both port slots, so a request and its reply share keys after
/// `reversed()` — exactly how conntrack keys echo flows. Other ICMP and
/// port-less protocols use 0.
public struct FlowKey: Sendable, Hashable, CustomStringConvertible {
    // Addresses first: the small fields then share one word (48 bytes, not 56).
    public var src: IPAddress
    public var dst: IPAddress
    public var proto: UInt8
    public var sport: UInt16
    public var dport: UInt16

    public init(proto: UInt8, src: IPAddress, dst: IPAddress, sport: UInt16 = 0, dport: UInt16 = 0) {
        self.proto = proto
        self.src = src
        self.dst = dst
        self.sport = sport
        self.dport = dport
    }

    /// Every field, in as few words as they fit: the flow index hashes a key or two per
    /// sighting, and the synthesized hash fed the fields one by one (seven rounds, not two).
    public func hash(into hasher: inout Hasher) {
        let small = UInt64(proto) << 32 | UInt64(sport) << 16 | UInt64(dport)
        switch (src, dst) {
        case (.v4(let a), .v4(let b)):
            hasher.combine(UInt64(a.raw) << 32 | UInt64(b.raw))
            hasher.combine(small)
        default:
            Self.combine(src, into: &hasher)
            Self.combine(dst, into: &hasher)
            // A bit the IPv4 pair's small word never has: the two layouts feed the hasher apart.
            hasher.combine(small | 1 << 40)
        }
    }

    private static func combine(_ address: IPAddress, into hasher: inout Hasher) {
        switch address {
        case .v4(let a):
            hasher.combine(UInt64(a.raw))
        case .v6(let a):
            hasher.combine(a.high)
            hasher.combine(a.low)
        }
    }

    /// The key of the packets going the other way.
    public func reversed() -> FlowKey { FlowKey(proto: proto, src: dst, dst: src, sport: dport, dport: sport) }

    /// nil for non-IP frames (ARP) and packets without a transport.
    public init?(packet p: DecodedPacket) {
        guard let src = p.src, let dst = p.dst, let proto = p.proto else { return nil }
        var sport: UInt16 = 0, dport: UInt16 = 0
        switch p.transport {
        case .icmp(let type, _, let id, _) where type == 8 || type == 0:
            sport = id ?? 0
            dport = id ?? 0
        case .icmpv6(let type, _, let id, _) where type == 128 || type == 129:
            sport = id ?? 0
            dport = id ?? 0
        case .tcp(let s, let d, _, _, _, _), .udp(let s, let d):
            sport = s
            dport = d
        default:
            break
        }
        self.init(proto: proto, src: src, dst: dst, sport: sport, dport: dport)
    }

    /// One of a conntrack entry's tuples (conntrack keys ICMP echo by id).
    public init(tuple t: ConntrackEvent.Tuple, proto: UInt8) {
        let id = t.icmp?.id
        self.init(proto: proto, src: t.src, dst: t.dst, sport: id ?? t.sport ?? 0, dport: id ?? t.dport ?? 0)
    }

    /// The header an ICMP error quotes: the packet (as it was where the error was made)
    /// that the error reports on.
    public init(quoted q: DecodedPacket.Quoted) {
        self.init(proto: q.proto, src: q.src, dst: q.dst, sport: q.icmpID ?? q.sport ?? 0, dport: q.icmpID ?? q.dport ?? 0)
    }

    public var description: String {
        "\(IPProtocol.conntrackName(proto)) \(src):\(sport) > \(dst):\(dport)"
    }
}

extension FlowKey {
    /// Of a key and its reverse, the one whose source end sorts first: both directions
    /// of a flow share one entry in the correlator's key index.
    var canonical: FlowKey {
        let a = Self.rank(src), b = Self.rank(dst)
        if a < b || (a == b && sport <= dport) { return self }
        return reversed()
    }

    private static func rank(_ ip: IPAddress) -> (UInt8, UInt64, UInt64) {
        switch ip {
        case .v4(let a): (4, 0, UInt64(a.raw))
        case .v6(let a): (6, a.high, a.low)
        }
    }
}
