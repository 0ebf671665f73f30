/// Every watched namespace, with veth pairs joined across them. Pure data: build it from
/// snapshots (`NamespaceSnapshot`), then ask about routes (`route(in:to:)`), the path a
/// packet should take (`walkPath`, `expectedPath`) and egress facts (`interfaceFacts(for:)`).
public struct Topology: Sendable {
    public let namespaces: [NamespaceSnapshot]
    /// veth end → the other end, both as capture points (resolved once, at init).
    private let peers: [CapturePoint: CapturePoint]
    /// veth end → the name of the namespace its peer lives in, when that one has no snapshot.
    private let unwatchedPeerNamespaces: [CapturePoint: String]
    /// Namespace name → its position in `namespaces` (every path step asks by name).
    private let positions: [String?: Int]

    public init(_ namespaces: [NamespaceSnapshot]) throws(TopologyError) {
        var positions: [String?: Int] = [:]
        for (i, ns) in namespaces.enumerated() {
            guard positions.updateValue(i, forKey: ns.name) == nil else { throw .duplicateNamespace(ns.name) }
        }
        self.namespaces = namespaces
        self.positions = positions
        var peers: [CapturePoint: CapturePoint] = [:]
        var unwatched: [CapturePoint: String] = [:]
        for ns in namespaces {
            for link in ns.interfaces {
                guard let ref = link.peer else { continue }
                let here = CapturePoint(netns: ns.name, iface: link.name)
                switch Self.resolve(ref, from: ns, of: link, in: namespaces, positions: positions) {
                case .found(let point): peers[here] = point
                case .unwatched(let name): unwatched[here] = name
                case .unknown: break
                }
            }
        }
        self.peers = peers
        self.unwatchedPeerNamespaces = unwatched
    }

    private enum PeerLookup { case found(CapturePoint), unwatched(String), unknown }

    /// nsid in the link's namespace → that namespace's name → the link with the peer's ifindex.
    /// An nsid without a name (e.g. the unnamed root namespace) is matched by the pair itself:
    /// a veth elsewhere with that ifindex whose own peer index points back at this link.
    /// Each lookup is O(1) (`InterfaceIndex`, `positions`), so resolving every link costs
    /// links × namespaces at most, never links².
    private static func resolve(
        _ ref: NetworkInterface.PeerReference, from ns: NamespaceSnapshot, of link: NetworkInterface,
        in all: [NamespaceSnapshot], positions: [String?: Int]
    ) -> PeerLookup {
        guard let nsid = ref.nsid else {
            return ns.interface(index: ref.ifindex).map { .found(CapturePoint(netns: ns.name, iface: $0.name)) } ?? .unknown
        }
        if let name = ns.namespaceIDs[nsid] {
            guard let other = positions[name].map({ all[$0] }) else { return .unwatched(name) }
            return other.interface(index: ref.ifindex).map { .found(CapturePoint(netns: name, iface: $0.name)) } ?? .unknown
        }
        let candidates = all.compactMap { other -> CapturePoint? in
            guard other.name != ns.name, let far = other.interface(index: ref.ifindex), far.kind == .veth,
                  let back = far.peer, back.ifindex == link.index, back.nsid != nil
            else { return nil }
            if let backName = back.nsid.flatMap({ other.namespaceIDs[$0] }), backName != ns.name { return nil }
            return CapturePoint(netns: other.name, iface: far.name)
        }
        return candidates.count == 1 ? .found(candidates[0]) : .unknown
    }

    public func namespace(_ name: String?) -> NamespaceSnapshot? {
        positions[name].map { namespaces[$0] }
    }

    public func interface(at point: CapturePoint) -> NetworkInterface? {
        namespace(point.netns)?.interface(named: point.iface)
    }

    /// The other end of a veth pair, when its namespace is in the topology.
    public func peer(of point: CapturePoint) -> CapturePoint? { peers[point] }

    /// The name of the namespace a veth leads to when that namespace has no snapshot.
    public func unwatchedPeerNamespace(of point: CapturePoint) -> String? { unwatchedPeerNamespaces[point] }

    /// Whether the far end of `point` (a veth) sits in a namespace that owns `address`.
    func farEnd(of point: CapturePoint, owns address: IPAddress) -> Bool {
        guard let far = peer(of: point), let ns = namespace(far.netns) else { return false }
        return ns.interfaceIndex.ownsOffLoopback(address)
    }
}
