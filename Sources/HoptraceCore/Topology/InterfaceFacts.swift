/// What the correlator needs to know about an interface a packet leaves through, to judge
/// whether what left is right: e.g. S1's private source leaving the uplink untranslated.
public struct InterfaceFacts: Sendable, Hashable {
    public var point: CapturePoint
    public var kind: NetworkInterface.Kind
    /// The bridge this interface is a port of.
    public var bridge: String?
    /// A routed interface that is neither a bridge, a bridge port nor the loopback, and that
    /// carries a global address or is named by a route: where traffic leaves for another network
    /// (hthost:enX0; also a container's eth0, its own uplink).
    public var isUplink: Bool
    /// The on-link subnets of the interface's global (non link-local) addresses: 172.31.32.0/20.
    public var subnets: [IPPrefix]
    /// All the interface's addresses, link-local ones included.
    public var addresses: [IPAddress]
    /// When asked about a source address: the bridge it sits behind, if any.
    public var source: SourceBridge?

    public init(
        point: CapturePoint, kind: NetworkInterface.Kind, bridge: String?, isUplink: Bool,
        subnets: [IPPrefix], addresses: [IPAddress], source: SourceBridge? = nil
    ) {
        self.point = point
        self.kind = kind
        self.bridge = bridge
        self.isUplink = isUplink
        self.subnets = subnets
        self.addresses = addresses
        self.source = source
    }
}

/// A source address and the bridge network it comes from (172.18.0.3 → docker1, 172.18.0.0/24).
public struct SourceBridge: Sendable, Hashable {
    public var source: IPAddress
    /// The namespace the bridge lives in.
    public var netns: String?
    public var bridge: String
    /// The bridge port the source sits behind, when the source's namespace is in the topology.
    public var port: String?
    /// The bridge's subnet that contains the source.
    public var subnet: IPPrefix

    public init(source: IPAddress, netns: String?, bridge: String, port: String?, subnet: IPPrefix) {
        self.source = source
        self.netns = netns
        self.bridge = bridge
        self.port = port
        self.subnet = subnet
    }

    /// The rule Docker adds so this bridge's traffic is masqueraded on every other interface,
    /// in the bridge's namespace: `ip netns exec hthost iptables -t nat -A POSTROUTING -s
    /// 172.18.0.0/24 '!' -o docker1 -j MASQUERADE`.
    public var masqueradeRule: SuggestedCommand {
        .masquerade(subnet, exceptOut: bridge, netns: netns)
    }
}

extension Topology {
    /// Facts about `point`'s interface; with `source`, also the bridge that source sits behind
    /// (looked for first in `point`'s namespace). Nil if the interface is not in the topology.
    public func interfaceFacts(for point: CapturePoint, source: IPAddress? = nil) -> InterfaceFacts? {
        guard let ns = namespace(point.netns), let link = ns.interface(named: point.iface) else { return nil }
        let global = link.addresses.filter { $0.scope != .link && $0.scope != .host }
        let routed = !global.isEmpty || ns.routes.contains { $0.dev == link.name }
        return InterfaceFacts(
            point: point, kind: link.kind, bridge: link.master,
            isUplink: routed && link.master == nil && link.kind != .bridge && link.kind != .loopback,
            subnets: global.compactMap(\.subnet), addresses: link.addresses.map(\.address),
            source: source.flatMap { sourceBridge(for: $0, near: point.netns) })
    }

    /// The bridge `source` sits behind: through the veth of the namespace that owns it, else a
    /// bridge whose subnet contains it. Namespace `near` is preferred when several match.
    public func sourceBridge(for source: IPAddress, near netns: String? = nil) -> SourceBridge? {
        var found: [SourceBridge] = []
        for ns in namespaces {
            for link in ns.interfaces where link.kind != .loopback && link.owns(source) {
                guard let far = peer(of: CapturePoint(netns: ns.name, iface: link.name)),
                      let port = interface(at: far), let bridgeName = port.master,
                      let bridge = interface(at: CapturePoint(netns: far.netns, iface: bridgeName))
                else { continue }
                let own = link.addresses.first { $0.address == source }?.subnet
                guard let subnet = bridge.addresses.compactMap(\.subnet).first(where: { $0.contains(source) }) ?? own
                else { continue }
                found.append(SourceBridge(source: source, netns: far.netns, bridge: bridgeName, port: port.name, subnet: subnet))
            }
        }
        for ns in namespaces {
            for bridge in ns.interfaces where bridge.kind == .bridge {
                guard let subnet = bridge.addresses.compactMap(\.subnet).first(where: { $0.contains(source) }) else { continue }
                found.append(SourceBridge(source: source, netns: ns.name, bridge: bridge.name, port: nil, subnet: subnet))
            }
        }
        return found.first { $0.netns == netns } ?? found.first
    }
}
