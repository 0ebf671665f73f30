/// The state machine behind `Topology.walkPath`: leave an interface → cross the veth → arrive
/// (a bridge port bridges or passes up to the bridge) → route → leave… Each step is visited at
/// most once per destination, and the walk has a hard step limit, so a routing loop ends.
struct PathWalker {
    enum Step: Hashable, CustomStringConvertible {
        /// The packet is sent out of this interface. `nextHop`: the L2 neighbour it is for.
        case leave(CapturePoint, nextHop: IPAddress?)
        /// The packet is received on this interface (`nextHop` nil: not known, e.g. the first point).
        case arrive(CapturePoint, nextHop: IPAddress?)
        /// The namespace's routing decides (`inIface` nil: sent by a local process).
        case route(netns: String?, inIface: String?)

        var description: String {
            switch self {
            case .leave(let p, _), .arrive(let p, _): p.iface
            case .route(_, let inIface): "routing" + (inIface.map { " (from \($0))" } ?? "")
            }
        }

        var netns: String? {
            switch self {
            case .leave(let p, _), .arrive(let p, _): p.netns
            case .route(let ns, _): ns
            }
        }
    }

    private enum Outcome { case next(Step), stop(PathStop) }

    private struct Visit: Hashable {
        var step: Step
        var dst: IPAddress
    }

    /// Far above any real path (the lab's longest has 5 hops and ~12 steps).
    static let stepLimit = 256

    let topology: Topology
    var dst: IPAddress
    var translation: IPAddress?
    private var hops: [CapturePoint] = []
    private var visited: Set<Visit> = []

    init(topology: Topology, dst: IPAddress, translation: IPAddress?) {
        self.topology = topology
        self.dst = dst
        self.translation = translation
    }

    mutating func run(from start: Step) -> PathWalk {
        var step = start
        for _ in 0..<Self.stepLimit {
            guard visited.insert(Visit(step: step, dst: dst)).inserted else { break }
            switch advance(step) {
            case .next(let next): step = next
            case .stop(let stop): return PathWalk(hops: hops, stop: stop)
            }
        }
        return PathWalk(hops: hops, stop: PathStop(netns: step.netns, reason: .loop(at: step.description)))
    }

    private mutating func advance(_ step: Step) -> Outcome {
        switch step {
        case .leave(let point, let hop): leave(point, nextHop: hop)
        case .arrive(let point, let hop): arrive(point, nextHop: hop)
        case .route(let netns, let inIface): route(in: netns, from: inIface)
        }
    }

    private mutating func leave(_ point: CapturePoint, nextHop: IPAddress?) -> Outcome {
        hops.append(point)
        guard let ns = topology.namespace(point.netns), let link = ns.interface(named: point.iface) else {
            return .stop(PathStop(netns: point.netns, reason: .unknownInterface(point.iface)))
        }
        switch link.kind {
        case .bridge:
            // Routed into a bridge: it sends the frame out of the port behind which the neighbour lives.
            let target = nextHop ?? dst
            guard let port = ns.ports(of: link.name).first(where: {
                topology.farEnd(of: CapturePoint(netns: ns.name, iface: $0.name), owns: target)
            }) else {
                return .stop(PathStop(netns: ns.name, reason: .noBridgePort(bridge: link.name, nextHop: target)))
            }
            return .next(.leave(CapturePoint(netns: ns.name, iface: port.name), nextHop: nextHop))
        case .loopback:
            return .next(.route(netns: ns.name, inIface: link.name))
        case .veth, .other:
            guard let far = topology.peer(of: point) else {
                let towards = topology.unwatchedPeerNamespace(of: point)
                return .stop(PathStop(netns: ns.name, reason: .leftTopology(iface: link.name, towards: towards)))
            }
            return .next(.arrive(far, nextHop: nextHop))
        }
    }

    private mutating func arrive(_ point: CapturePoint, nextHop: IPAddress?) -> Outcome {
        hops.append(point)
        guard let ns = topology.namespace(point.netns), let link = ns.interface(named: point.iface) else {
            return .stop(PathStop(netns: point.netns, reason: .unknownInterface(point.iface)))
        }
        guard let bridgeName = link.master, let bridge = ns.interface(named: bridgeName), bridge.kind == .bridge else {
            return .next(.route(netns: ns.name, inIface: link.name))
        }
        // On a bridge port: frames for the bridge's own address go up to routing; frames for a
        // neighbour behind another port are bridged there. A first-seen frame (neighbour
        // unknown) is for the router unless its destination sits behind another port.
        let target = nextHop ?? dst
        let up = Step.arrive(CapturePoint(netns: ns.name, iface: bridge.name), nextHop: nextHop)
        if bridge.owns(target) { return .next(up) }
        if let port = ns.ports(of: bridge.name).first(where: {
            $0.name != link.name && topology.farEnd(of: CapturePoint(netns: ns.name, iface: $0.name), owns: target)
        }) {
            return .next(.leave(CapturePoint(netns: ns.name, iface: port.name), nextHop: nextHop))
        }
        if nextHop == nil { return .next(up) }
        return .stop(PathStop(netns: ns.name, reason: .noBridgePort(bridge: bridge.name, nextHop: target)))
    }

    private mutating func route(in netns: String?, from inIface: String?) -> Outcome {
        guard let ns = topology.namespace(netns) else { return .stop(PathStop(netns: netns, reason: .unknownNamespace)) }
        switch Topology.route(in: ns, to: dst) {
        case .local(_, let iface):
            if let translated = translation, translated != dst {
                // DNAT in PREROUTING (or a reply's un-SNAT): the packet goes on to the real address.
                translation = nil
                dst = translated
                return .next(.route(netns: netns, inIface: inIface))
            }
            return .stop(PathStop(netns: netns, reason: .delivered(iface: iface, destination: dst)))
        case .output(let dev, let hop, _):
            // net.ipv4.ip_forward governs IPv4 only; IPv6 forwarding is a separate sysctl not modelled here.
            if let inIface, dst.v4 != nil, ns.ipForward == false {
                return .stop(PathStop(netns: netns, reason: .forwardingDisabled(inIface: inIface, outIface: dev, destination: dst)))
            }
            return .next(.leave(CapturePoint(netns: netns, iface: dev), nextHop: hop))
        case .unreachable:
            return .stop(PathStop(netns: netns, reason: .noRoute(destination: dst)))
        case .rejected(_, _, let route):
            return .stop(PathStop(netns: netns, reason: .rejectedByRoute(route: route, destination: dst)))
        }
    }
}
