/// `watch --container web`: the points a container's packets cross on their way out — its own
/// interfaces, each veth's other end on the host, the bridge that end is a port of, and the
/// host's uplink (the interface of its default route). Pure: the topology holds the container's
/// namespace and the host candidates; only veths whose peer was found lead anywhere.
public enum ContainerPath {
    /// `netns` nil: a container sharing hoptrace's own namespace (`--network host`).
    public static func points(of netns: String?, in topology: Topology) -> [CapturePoint] {
        guard let ns = topology.namespace(netns) else { return [] }
        var out: [CapturePoint] = []
        func add(_ p: CapturePoint) { if !out.contains(p) { out.append(p) } }
        let own = ns.interfaces.filter { $0.kind != .loopback && $0.isUp }.sorted { $0.index < $1.index }
        for link in own { add(CapturePoint(netns: netns, iface: link.name)) }
        for link in own {
            guard let far = topology.peer(of: CapturePoint(netns: netns, iface: link.name)) else { continue }
            add(far)
            if let bridge = topology.interface(at: far)?.master { add(CapturePoint(netns: far.netns, iface: bridge)) }
            for uplink in uplinks(in: far.netns, topology) { add(uplink) }
        }
        return out
    }

    /// The interfaces of the namespace's default routes (IPv4 first; loopback skipped): where
    /// traffic leaves the host. A veth may be one (a lab's uplink is).
    static func uplinks(in netns: String?, _ topology: Topology) -> [CapturePoint] {
        guard let ns = topology.namespace(netns) else { return [] }
        let defaults = ns.routes.filter { $0.destination.length == 0 }.sorted { a, b in
            (a.destination.network.v4 == nil ? 1 : 0) < (b.destination.network.v4 == nil ? 1 : 0)
        }
        var out: [CapturePoint] = []
        for r in defaults {
            guard let dev = r.dev, ns.interface(named: dev)?.kind != .loopback else { continue }
            let p = CapturePoint(netns: netns, iface: dev)
            if !out.contains(p) { out.append(p) }
        }
        return out
    }
}
