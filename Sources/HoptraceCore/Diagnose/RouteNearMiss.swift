/// Issue 18's route near miss: the request reached a namespace that routed it out an interface
/// nobody watches, by a route more specific than one through a watched interface (a stale host
/// route, a too-specific prefix). The packet did not vanish: it left the watched path, and the
/// route that took it is named with the one it beat.
enum RouteNearMiss {
    static func diagnose(_ input: DiagnosisInput, topology: Topology?, watched: Set<CapturePoint>) -> Diagnosis? {
        guard !input.seenReply, let topo = topology, let hop = input.requestHops.last, hop.dir != .outbound,
              let ns = topo.namespace(hop.point.netns), !ns.interfaces.contains(where: { $0.owns(hop.dst) }),
              case .output(let dev, _, let route) = Topology.route(in: ns, to: hop.dst),
              !watched.contains(CapturePoint(netns: hop.point.netns, iface: dev)) else { return nil }
        // The route the watched path expected: a less specific one out of a watched interface.
        let beaten = ns.routes.filter { r in
            r.kind == .unicast && r.destination.contains(hop.dst) && r.destination.length < route.destination.length
                && r.dev.map { watched.contains(CapturePoint(netns: hop.point.netns, iface: $0)) } == true
        }.max { $0.destination.length < $1.destination.length }
        guard let beaten, let watchedDev = beaten.dev else { return nil }
        let name = TopologyError.name(hop.point.netns)
        let via = route.gateway.map { " via \($0)" } ?? ""
        let reason = "routed out \(dev) (not watched) in \(name) by \(route.destination)\(via), a more specific route than "
            + "\(beaten.destination.isDefault ? "the default" : "\(beaten.destination)") via \(watchedDev): the request left the watched path there "
            + "(watch it too: -i \(CapturePoint(netns: hop.point.netns, iface: dev)))"
        // Only a route someone added is offered for deletion: one via a gateway, or a host route.
        // A connected subnet's route (no gateway) is the kernel's: deleting it would cut the subnet
        // off, when all that happened may be that nobody watches that interface.
        let added = route.gateway != nil || route.destination.length == route.destination.network.bitWidth
        var d = Diagnosis(id: "route-near-miss", reason: reason,
                          fix: added ? SuggestedCommand(netns: hop.point.netns, ["ip", "route", "del"] + route.words).description : nil,
                          evidence: .inferred)
        d.unwatched = CapturePoint(netns: hop.point.netns, iface: dev)
        return d
    }
}
