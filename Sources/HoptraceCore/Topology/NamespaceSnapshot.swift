/// One network namespace as iproute2 describes it: links, addresses, main-table routes, the
/// nsid table (how this namespace names the others) and net.ipv4.ip_forward.
/// Build it from `ip -j` output with `init(name:linkJSON:addrJSON:routeJSON:nsidJSON:ipForward:)`.
public struct NamespaceSnapshot: Sendable, Hashable {
    /// The name under /run/netns; nil is the namespace hoptrace itself runs in.
    public var name: String?
    public var interfaces: [NetworkInterface]
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
        self.routes = routes
        self.namespaceIDs = namespaceIDs
        self.ipForward = ipForward
    }

    public func interface(named name: String) -> NetworkInterface? {
        interfaces.first { $0.name == name }
    }

    public func interface(index: Int) -> NetworkInterface? {
        interfaces.first { $0.index == index }
    }

    /// The ports enslaved to `bridge`.
    public func ports(of bridge: String) -> [NetworkInterface] {
        interfaces.filter { $0.master == bridge }
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
