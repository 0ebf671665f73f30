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
