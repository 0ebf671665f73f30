/// The path a packet is expected to take through the topology, and where and why it ends.
public struct PathWalk: Sendable, Hashable {
    /// Every interface the packet should cross, in order, watched or not. Starts with the
    /// first-seen point (or is empty for a packet that never leaves its namespace).
    public var hops: [CapturePoint]
    public var stop: PathStop

    public init(hops: [CapturePoint], stop: PathStop) {
        self.hops = hops
        self.stop = stop
    }

    /// The hops hoptrace can see: those in `watched`, in order.
    public func watchedHops(_ watched: Set<CapturePoint>) -> [CapturePoint] {
        hops.filter(watched.contains)
    }
}

/// Where the walk ended, and why. `description` is a sentence for the diagnosis pane.
public struct PathStop: Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// Reached a namespace that owns the (possibly translated) destination.
        case delivered(iface: String, destination: IPAddress)
        /// No route in the namespace: the sender sees "Network is unreachable".
        case noRoute(destination: IPAddress)
        /// A blackhole/unreachable/prohibit route matched.
        case rejectedByRoute(route: Route, destination: IPAddress)
        /// The packet arrived on `inIface` and must be forwarded out of `outIface`, but ip_forward=0.
        case forwardingDisabled(inIface: String, outIface: String, destination: IPAddress)
        /// Left through `iface`, whose far end is outside the topology (`towards` names its namespace if known).
        case leftTopology(iface: String, towards: String?)
        /// Routed into `bridge`, but no port leads to the neighbour `nextHop`.
        case noBridgePort(bridge: String, nextHop: IPAddress)
        /// The starting point or an interface a route names is not in the topology.
        case unknownInterface(String)
        /// The namespace asked about has no snapshot.
        case unknownNamespace
        /// The walk came back to a state it had already visited: a routing loop (TTL will expire).
        case loop(at: String)
    }

    /// The namespace the walk stopped in.
    public var netns: String?
    public var reason: Reason

    public init(netns: String?, reason: Reason) {
        self.netns = netns
        self.reason = reason
    }

    /// True when the packet cannot reach its destination because of this namespace's setup
    /// (no route, a reject route, ip_forward off, a loop); false for delivery, leaving the
    /// known topology, or missing knowledge.
    public var isProblem: Bool {
        switch reason {
        case .noRoute, .rejectedByRoute, .forwardingDisabled, .loop: true
        case .delivered, .leftTopology, .noBridgePort, .unknownInterface, .unknownNamespace: false
        }
    }

    public var description: String {
        let ns = TopologyError.name(netns)
        switch reason {
        case .delivered(let iface, let dst): return "delivered to \(dst) in \(ns) (\(iface))"
        case .noRoute(let dst): return "\(ns) has no route to \(dst)"
        case .rejectedByRoute(let route, let dst): return "\(ns) drops packets to \(dst): route '\(route)'"
        case .forwardingDisabled(let inIface, let outIface, let dst):
            return "\(ns) must forward \(dst) from \(inIface) to \(outIface) but ip_forward is 0"
        case .leftTopology(let iface, let towards):
            return "leaves \(ns) through \(iface)" + (towards.map { " towards \($0), which is not watched" } ?? "")
        case .noBridgePort(let bridge, let hop): return "no port of \(bridge) in \(ns) leads to \(hop)"
        case .unknownInterface(let iface): return "\(iface) is not an interface of \(ns)"
        case .unknownNamespace: return "\(ns) is not part of the watched topology"
        case .loop(let at): return "routing loop: the packet comes back to \(at) in \(ns)"
        }
    }
}
