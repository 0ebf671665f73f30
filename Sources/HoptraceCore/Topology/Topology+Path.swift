/// The expected path of one packet: where it is first seen, where it should go next.
extension Topology {
    /// Follows a packet from the interface it was first seen on (leaving or arriving there,
    /// whichever this namespace's routing implies) until it is delivered, leaves the topology or
    /// is stopped. `translatedDst` is the destination after DNAT (or the un-SNAT of a reply): it
    /// replaces `dst` where `dst` is local to the namespace reached.
    public func walkPath(firstSeen: CapturePoint, dst: IPAddress, translatedDst: IPAddress? = nil) -> PathWalk {
        var walker = PathWalker(topology: self, dst: dst, translation: translatedDst)
        guard let ns = namespace(firstSeen.netns), let link = ns.interface(named: firstSeen.iface) else {
            return PathWalk(hops: [firstSeen], stop: PathStop(netns: firstSeen.netns, reason: .unknownInterface(firstSeen.iface)))
        }
        return walker.run(from: startStep(at: firstSeen, link: link, in: ns, dst: dst))
    }

    /// Follows a packet sent by a process in `netns` (e.g. S6's ping, which never reaches a wire).
    public func walkPath(originatingIn netns: String?, dst: IPAddress, translatedDst: IPAddress? = nil) -> PathWalk {
        guard namespace(netns) != nil else { return PathWalk(hops: [], stop: PathStop(netns: netns, reason: .unknownNamespace)) }
        var walker = PathWalker(topology: self, dst: dst, translation: translatedDst)
        return walker.run(from: .route(netns: netns, inIface: nil))
    }

    /// The watched capture points the packet should cross, in order, starting with `firstSeen`.
    public func expectedPath(
        firstSeen: CapturePoint, dst: IPAddress, translatedDst: IPAddress? = nil, watched: Set<CapturePoint>
    ) -> [CapturePoint] {
        let walk = walkPath(firstSeen: firstSeen, dst: dst, translatedDst: translatedDst)
        return [firstSeen] + walk.hops.dropFirst().filter(watched.contains)
    }

    /// Why the packet cannot get through, or nil when it is delivered or leaves the topology.
    public func pathProblem(firstSeen: CapturePoint, dst: IPAddress, translatedDst: IPAddress? = nil) -> PathStop? {
        let stop = walkPath(firstSeen: firstSeen, dst: dst, translatedDst: translatedDst).stop
        return stop.isProblem ? stop : nil
    }

    /// Why a packet sent from `netns` cannot get through, or nil.
    public func pathProblem(originatingIn netns: String?, dst: IPAddress, translatedDst: IPAddress? = nil) -> PathStop? {
        let stop = walkPath(originatingIn: netns, dst: dst, translatedDst: translatedDst).stop
        return stop.isProblem ? stop : nil
    }

    /// A packet on an interface its own namespace would send `dst` out of is leaving there
    /// (for a bridge port: when the bridge would pick that port); anywhere else it is arriving.
    private func startStep(at point: CapturePoint, link: NetworkInterface, in ns: NamespaceSnapshot, dst: IPAddress) -> PathWalker.Step {
        guard case .output(let dev, let hop, _) = Self.route(in: ns, to: dst) else { return .arrive(point, nextHop: nil) }
        if dev == link.name { return .leave(point, nextHop: hop) }
        if let bridge = link.master, dev == bridge, farEnd(of: point, owns: hop) { return .leave(point, nextHop: hop) }
        return .arrive(point, nextHop: nil)
    }
}
