/// The correlator's view of a discovered topology: paths through the watched capture
/// points only, and the egress facts its hints need.
public struct TopologyPaths: HopPathProvider, Sendable {
    public let topology: Topology
    public let watched: Set<CapturePoint>
    /// The same namespaces as if every one forwarded: the path a packet SHOULD take. With
    /// ip_forward=0 in a router the packet then vanishes where it stops, and diagnosis says
    /// why (rather than the path ending there and the packet counting as delivered).
    let intended: Topology

    public init(_ topology: Topology, watched: Set<CapturePoint>) {
        self.topology = topology
        self.watched = watched
        intended = (try? Topology(topology.namespaces.map { ns in
            var n = ns
            if n.ipForward == false { n.ipForward = true }
            return n
        })) ?? topology
    }

    public func expectedPath(firstSeen: CapturePoint, dst: IPAddress, translatedDst: IPAddress?) -> [CapturePoint] {
        let path = intended.expectedPath(firstSeen: firstSeen, dst: dst, translatedDst: translatedDst, watched: watched)
        return path.isEmpty ? [firstSeen] : path
    }

    public func egressInfo(for point: CapturePoint) -> EgressInfo? {
        guard let facts = topology.interfaceFacts(for: point), let ns = topology.namespace(point.netns) else { return nil }
        let bridges = ns.interfaces.filter { $0.kind == .bridge }.flatMap { b in
            b.addresses.filter { $0.scope == .global }.compactMap { a in a.subnet.map { EgressInfo.Bridge(name: b.name, subnet: $0) } }
        }
        return EgressInfo(ownSubnets: facts.subnets, isUplink: facts.isUplink, bridges: bridges, bridgePortOf: facts.bridge)
    }
}
