/// S6 before any packet: a namespace that sits behind a bridge of a forwarding namespace
/// (a container: its veth's peer is a port of a bridge with an address, where ip_forward
/// is on) but has no default route. Its processes get "Network is unreachable" for every
/// address outside its own subnets and nothing reaches a wire — so hoptrace, which
/// watches wires, says so from the routes alone.
public enum MissingDefaultRoute {
    public static func diagnoses(_ topology: Topology) -> [(netns: String?, diagnosis: Diagnosis)] {
        topology.namespaces.compactMap { ns in
            guard !ns.routes.contains(where: { $0.destination.isDefault && $0.destination.network.v4 != nil }) else { return nil }
            for iface in ns.interfaces where iface.kind == .veth && iface.isUp {
                guard let peer = topology.peer(of: CapturePoint(netns: ns.name, iface: iface.name)),
                      let port = topology.interface(at: peer), let bridgeName = port.master,
                      let host = topology.namespace(peer.netns), host.ipForward == true,
                      let bridge = host.interface(named: bridgeName), bridge.kind == .bridge,
                      let gateway = bridge.addresses.first(where: { $0.address.v4 != nil && $0.scope == .global })
                else { continue }
                let name = ns.name ?? "this namespace"
                let own = ns.routes.filter { $0.destination.network.v4 != nil }.map { $0.destination.description }.joined(separator: ", ")
                return (ns.name, Diagnosis(
                    id: "no-default-route",
                    reason: "\(name) has no default route: a packet to anything outside \(own.isEmpty ? "its own subnets" : own) cannot leave (the sender gets \"Network is unreachable\"; nothing reaches \(iface.name))",
                    fix: SuggestedCommand.addDefaultRoute(via: gateway.address, netns: ns.name).description,
                    evidence: .inferred))
            }
            return nil
        }
    }
}
