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
        switch text.trimmingWhitespace {
        case "1": true
        case "0": false
        default: nil
        }
    }
}

/// A link in one namespace.
public struct NetworkInterface: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case veth, bridge, loopback, other
    }

    /// The far end of a veth pair, as the link itself reports it.
    public struct PeerReference: Sendable, Hashable {
        /// `link_netnsid`: an id in the owning namespace's nsid table; nil = the same namespace.
        public var nsid: Int?
        /// `link_index`: the peer's ifindex in its own namespace.
        public var ifindex: Int
        public init(nsid: Int?, ifindex: Int) {
            self.nsid = nsid
            self.ifindex = ifindex
        }
    }

    public var index: Int
    public var name: String
    public var kind: Kind
    /// The bridge this link is a port of.
    public var master: String?
    /// Only for veth links.
    public var peer: PeerReference?
    public var isUp: Bool
    public var mac: String?
    public var addresses: [InterfaceAddress]

    public init(
        index: Int, name: String, kind: Kind, master: String? = nil, peer: PeerReference? = nil,
        isUp: Bool = true, mac: String? = nil, addresses: [InterfaceAddress] = []
    ) {
        self.index = index
        self.name = name
        self.kind = kind
        self.master = master
        self.peer = peer
        self.isUp = isUp
        self.mac = mac
        self.addresses = addresses
    }

    /// Whether `address` is one of this link's own addresses.
    public func owns(_ address: IPAddress) -> Bool {
        addresses.contains { $0.address == address }
    }
}

/// An address on an interface with its prefix length (172.18.0.1/24).
public struct InterfaceAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Scope: String, Sendable, Hashable {
        case global, site, link, host
    }

    public var address: IPAddress
    public var prefixLength: Int
    public var scope: Scope

    public init(_ address: IPAddress, prefixLength: Int, scope: Scope = .global) {
        self.address = address
        self.prefixLength = prefixLength
        self.scope = scope
    }

    /// The on-link subnet (172.18.0.0/24); nil if the prefix length does not fit the family.
    public var subnet: IPPrefix? { IPPrefix(address, length: prefixLength) }

    public var description: String { "\(address)/\(prefixLength)" }
}

/// One entry of the main routing table.
public struct Route: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable, CustomStringConvertible {
        case unicast, local, blackhole, unreachable, prohibit
        /// Any other `type` iproute2 prints (throw, broadcast, multicast, nat…).
        case other(String)

        /// iproute2's spelling ("unicast" when `type` is absent).
        public init(iproute2 type: String?) {
            switch type ?? "unicast" {
            case "unicast": self = .unicast
            case "local": self = .local
            case "blackhole": self = .blackhole
            case "unreachable": self = .unreachable
            case "prohibit": self = .prohibit
            case let other: self = .other(other)
            }
        }

        public var description: String {
            switch self {
            case .unicast: "unicast"
            case .local: "local"
            case .blackhole: "blackhole"
            case .unreachable: "unreachable"
            case .prohibit: "prohibit"
            case .other(let name): name
            }
        }
    }

    /// 0.0.0.0/0 for "default".
    public var destination: IPPrefix
    public var gateway: IPAddress?
    /// nil for blackhole/unreachable/prohibit routes.
    public var dev: String?
    public var kind: Kind
    /// Lower wins among routes of equal prefix length; nil counts as 0.
    public var metric: Int?

    public init(destination: IPPrefix, gateway: IPAddress? = nil, dev: String?, kind: Kind = .unicast, metric: Int? = nil) {
        self.destination = destination
        self.gateway = gateway
        self.dev = dev
        self.kind = kind
        self.metric = metric
    }

    public var description: String {
        var text = destination.isDefault ? "default" : destination.description
        if let gateway { text += " via \(gateway)" }
        if let dev { text += " dev \(dev)" }
        if kind != .unicast { text = "\(kind) " + text }
        return text
    }
}

extension String {
    var trimmingWhitespace: Substring {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return s
    }
}
