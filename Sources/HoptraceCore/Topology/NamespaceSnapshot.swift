/// One network namespace as iproute2 describes it: links, addresses, main-table routes, the
/// nsid table (how this namespace names the others) and net.ipv4.ip_forward.
/// Build it from `ip -j` output with `init(name:linkJSON:addrJSON:routeJSON:nsidJSON:ipForward:)`.
public struct NamespaceSnapshot: Sendable, Hashable {
    /// The name under /run/netns; nil is the namespace hoptrace itself runs in.
    public var name: String?
    public var interfaces: [NetworkInterface] {
        didSet { interfaceIndex = InterfaceIndex(interfaces) }
    }
    /// `interfaces` by ifindex, name, master and address: what every lookup below goes through.
    /// Built with the list and again whenever it changes, so it never goes stale.
    public private(set) var interfaceIndex: InterfaceIndex
    /// The main routing table, in the order iproute2 printed it.
    public var routes: [Route]
    /// nsid → namespace name, as seen from this namespace (`ip netns list-id`). Unnamed ids are absent.
    public var namespaceIDs: [Int: String]
    /// net.ipv4.ip_forward; nil when unknown.
    public var ipForward: Bool?

    public init(
        name: String?, interfaces: [NetworkInterface], routes: [Route],
        namespaceIDs: [Int: String] = [:], ipForward: Bool? = nil
    ) {
        self.name = name
        self.interfaces = interfaces
        interfaceIndex = InterfaceIndex(interfaces)
        self.routes = routes
        self.namespaceIDs = namespaceIDs
        self.ipForward = ipForward
    }

    /// The first link named `name`, in O(1).
    public func interface(named name: String) -> NetworkInterface? {
        interfaceIndex.position(named: name).map { interfaces[$0] }
    }

    /// The first link with ifindex `index`, in O(1).
    public func interface(index: Int) -> NetworkInterface? {
        interfaceIndex.position(ofIfindex: index).map { interfaces[$0] }
    }

    /// The ports enslaved to `bridge`, in the order `ip` printed them.
    public func ports(of bridge: String) -> [NetworkInterface] {
        interfaceIndex.portPositions(of: bridge).map { interfaces[$0] }
    }

    /// Equal when what `ip` said is equal; the index only follows from `interfaces`.
    public static func == (a: Self, b: Self) -> Bool {
        a.name == b.name && a.interfaces == b.interfaces && a.routes == b.routes
            && a.namespaceIDs == b.namespaceIDs && a.ipForward == b.ipForward
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(interfaces)
        hasher.combine(routes)
        hasher.combine(namespaceIDs)
        hasher.combine(ipForward)
    }

    /// Reads /proc/sys/net/ipv4/ip_forward's content ("1\n"); nil if it is neither 0 nor 1.
    public static func parseIPForward(_ text: String) -> Bool? {
        switch text.filter({ !$0.isWhitespace }) {
        case "1": true
        case "0": false
        default: nil
        }
    }
}
