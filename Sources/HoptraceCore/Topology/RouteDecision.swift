/// What a namespace's routing does with a destination (`Topology.route(in:to:)`).
public enum RouteDecision: Sendable, Hashable, CustomStringConvertible {
    /// The address is the namespace's own: delivered locally, on `iface` (the owner of the address).
    case local(netns: String?, iface: String)
    /// Sent out through `dev` to `nextHop` (the gateway, or the destination itself when on-link).
    case output(dev: String, nextHop: IPAddress, route: Route)
    /// No route matches: "Network is unreachable".
    case unreachable(netns: String?, destination: IPAddress)
    /// A blackhole/unreachable/prohibit (or other non-unicast) route matches.
    case rejected(netns: String?, destination: IPAddress, route: Route)

    public var description: String {
        switch self {
        case .local(let ns, let iface): "local to \(TopologyError.name(ns)) (\(iface))"
        case .output(let dev, let hop, let route): "out \(dev) to \(hop) (\(route))"
        case .unreachable(let ns, let dst): "\(TopologyError.name(ns)) has no route to \(dst)"
        case .rejected(let ns, let dst, let route): "\(TopologyError.name(ns)) rejects \(dst): \(route)"
        }
    }
}

extension Topology {
    /// The kernel's decision for `destination` in `netns`: its own addresses (and the loopback's
    /// prefix, 127.0.0.0/8) are local; otherwise the longest matching prefix of the main table
    /// wins, then the lowest metric, then the first printed. Policy rules and other tables are
    /// not consulted.
    public func route(in netns: String?, to destination: IPAddress) throws(TopologyError) -> RouteDecision {
        guard let ns = namespace(netns) else { throw .unknownNamespace(netns) }
        return Self.route(in: ns, to: destination)
    }

    static func route(in ns: NamespaceSnapshot, to destination: IPAddress) -> RouteDecision {
        if let owner = ns.interfaces.first(where: { $0.owns(destination) }) {
            return .local(netns: ns.name, iface: owner.name)
        }
        if let lo = ns.interfaces.first(where: { link in
            link.kind == .loopback && link.addresses.contains { $0.subnet?.contains(destination) == true }
        }) {
            return .local(netns: ns.name, iface: lo.name)
        }
        var best: Route?
        for route in ns.routes where route.destination.contains(destination) {
            guard let current = best else { best = route; continue }
            if route.destination.length > current.destination.length
                || (route.destination.length == current.destination.length && (route.metric ?? 0) < (current.metric ?? 0)) {
                best = route
            }
        }
        guard let best else { return .unreachable(netns: ns.name, destination: destination) }
        switch best.kind {
        case .unicast:
            guard let dev = best.dev else { return .rejected(netns: ns.name, destination: destination, route: best) }
            return .output(dev: dev, nextHop: best.gateway ?? destination, route: best)
        case .local:
            return .local(netns: ns.name, iface: best.dev ?? "lo")
        case .other("throw"):
            return .unreachable(netns: ns.name, destination: destination)
        default:
            return .rejected(netns: ns.name, destination: destination, route: best)
        }
    }
}
