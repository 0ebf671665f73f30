/// The sysctls and netfilter facts of one namespace that decide whether a packet is forwarded,
/// as read from inside it (HoptraceCapture's `NamespaceFactsReader`). nil = unknown/absent.
public struct NamespaceFacts: Sendable, Equatable {
    public enum IptablesBackend: String, Sendable, Equatable {
        /// iptables-nft: its rules are nf_tables rules, visible to nftables tracing.
        case nft
        /// iptables-legacy: x_tables rules, invisible to nftables tracing.
        case legacy
        /// No iptables binary.
        case absent
    }

    /// The namespace's name (nil: the one hoptrace runs in).
    public var netns: String?
    /// net.ipv4.ip_forward.
    public var ipForward: Bool?
    /// net.ipv4.conf.{all,default,IFACE}.rp_filter: 0 off, 1 strict, 2 loose.
    public var rpFilter: [String: Int]
    /// net.bridge.bridge-nf-call-iptables; nil when br_netfilter is not loaded (then bridged
    /// frames never see iptables).
    public var bridgeNFCallIptables: Bool?
    /// net.netfilter.nf_conntrack_count / nf_conntrack_max.
    public var conntrackCount: Int?
    public var conntrackMax: Int?
    public var iptablesBackend: IptablesBackend?
    /// Whether nftables tracing can run here (the trace table was installed / `nft` exists).
    public var tracingAvailable: Bool?

    public init(netns: String?, ipForward: Bool? = nil, rpFilter: [String: Int] = [:],
                bridgeNFCallIptables: Bool? = nil, conntrackCount: Int? = nil, conntrackMax: Int? = nil,
                iptablesBackend: IptablesBackend? = nil, tracingAvailable: Bool? = nil) {
        self.netns = netns
        self.ipForward = ipForward
        self.rpFilter = rpFilter
        self.bridgeNFCallIptables = bridgeNFCallIptables
        self.conntrackCount = conntrackCount
        self.conntrackMax = conntrackMax
        self.iptablesBackend = iptablesBackend
        self.tracingAvailable = tracingAvailable
    }

    /// The rp_filter the kernel applies on `iface`: the maximum of `all` and the interface's own.
    public func effectiveRPFilter(_ iface: String) -> Int? {
        let values = [rpFilter["all"], rpFilter[iface]].compactMap { $0 }
        return values.max()
    }

    /// The conntrack table is full: new connections are dropped ("nf_conntrack: table full").
    public var conntrackFull: Bool {
        guard let c = conntrackCount, let m = conntrackMax, m > 0 else { return false }
        return c >= m
    }

    /// The sentence to show when rule-level evidence cannot exist.
    public var tracingCaveat: String? {
        switch iptablesBackend {
        case .legacy?:
            return "iptables in \(TopologyError.name(netns)) is iptables-legacy: its rules are invisible to nftables tracing, so rule-level evidence is not available"
        default:
            return tracingAvailable == false ? "nftables tracing is not available in \(TopologyError.name(netns))" : nil
        }
    }

    /// Reads a sysctl file's content: "1\n" → 1.
    public static func parseInt(_ text: String?) -> Int? {
        text.flatMap { Int($0.filter { !$0.isWhitespace }) }
    }

    /// `iptables -V`: "iptables v1.8.9 (nf_tables)" / "iptables v1.8.9 (legacy)".
    public static func parseBackend(_ version: String?) -> IptablesBackend {
        guard let v = version, v.contains("iptables") else { return .absent }
        if v.contains("nf_tables") { return .nft }
        return .legacy
    }
}

/// The facts of several namespaces, looked up by name.
public struct FactsBook: Sendable, Equatable {
    public var namespaces: [NamespaceFacts]

    public init(_ namespaces: [NamespaceFacts] = []) { self.namespaces = namespaces }

    public subscript(netns: String?) -> NamespaceFacts? {
        namespaces.first { $0.netns == netns }
    }
}
