/// Where a packet should go next: the topology's answer, so the correlator can order
/// hops by path position and say where a packet vanished. The real provider walks
/// `ip -j` output (links, bridges, routes); tests use `StaticPaths`.
public protocol HopPathProvider {
    /// The watched capture points a packet first seen at `firstSeen` should cross, in
    /// order, starting with `firstSeen`. `translatedDst` is the destination after NAT
    /// as conntrack knows it (the DNAT target for requests, the original source for
    /// replies to an SNAT'd flow); a walker uses it when `dst` is local to a namespace.
    func expectedPath(firstSeen: CapturePoint, dst: IPAddress, translatedDst: IPAddress?) -> [CapturePoint]

    /// What the correlator needs to know about an egress interface to judge a source
    /// address (the S1 hint). nil: unknown.
    func egressInfo(for point: CapturePoint) -> EgressInfo?

    /// false when paths are guesses of one point: ordering falls back to time and
    /// nothing can be called vanished or delivered ("path unknown").
    var knowsPaths: Bool { get }
}

extension HopPathProvider {
    public func egressInfo(for point: CapturePoint) -> EgressInfo? { nil }
    public var knowsPaths: Bool { true }
}

/// What the topology knows about a capture point's interface: where packets leave a
/// forwarding namespace, and which bridge it belongs to.
public struct EgressInfo: Sendable, Equatable {
    /// The interface's own subnets (172.31.32.0/20 for enX0): its namespace's addresses.
    public var ownSubnets: [IPPrefix]
    /// A routed interface towards the outside (not a bridge or bridge port): a private
    /// source that is not the namespace's own must have been translated before it leaves.
    public var isUplink: Bool
    /// The bridges of the same namespace with their subnets (docker1, 172.18.0.0/24):
    /// the sources a MASQUERADE rule would cover.
    public var bridges: [Bridge]
    /// The bridge this interface is a port of (veth1 → docker1), if any: a packet lost
    /// between two ports of one bridge was dropped while bridged (S5).
    public var bridgePortOf: String?

    public struct Bridge: Sendable, Equatable {
        public var name: String
        public var subnet: IPPrefix
        public init(name: String, subnet: IPPrefix) {
            self.name = name
            self.subnet = subnet
        }
    }

    public init(ownSubnets: [IPPrefix] = [], isUplink: Bool, bridges: [Bridge] = [], bridgePortOf: String? = nil) {
        self.ownSubnets = ownSubnets
        self.isUplink = isUplink
        self.bridges = bridges
        self.bridgePortOf = bridgePortOf
    }
}

/// Paths given as fixed sequences of points (tests, replays of a known lab).
///
/// `expectedPath` looks at the routes that contain `firstSeen` and picks one the way a
/// routing table would: the longest destination prefix containing `translatedDst`,
/// else the longest containing `dst`, else a route with no destinations (a catch-all),
/// else the first route containing the point. It returns that route from `firstSeen` on,
/// or just `[firstSeen]` when no route contains it.
public struct StaticPaths: HopPathProvider, Sendable {
    public struct Route: Sendable, Equatable {
        public var points: [CapturePoint]
        /// Destinations this route carries packets to; empty = any.
        public var destinations: [IPPrefix]
        public init(_ points: [CapturePoint], to destinations: [IPPrefix] = []) {
            self.points = points
            self.destinations = destinations
        }
    }

    public var routes: [Route]
    public var egress: [CapturePoint: EgressInfo]

    public init(_ routes: [Route], egress: [CapturePoint: EgressInfo] = [:]) {
        self.routes = routes
        self.egress = egress
    }

    public func expectedPath(firstSeen: CapturePoint, dst: IPAddress, translatedDst: IPAddress?) -> [CapturePoint] {
        let candidates = routes.filter { $0.points.contains(firstSeen) }
        func best(for ip: IPAddress) -> Route? {
            var found: (Route, Int)?
            for r in candidates {
                for d in r.destinations where d.contains(ip) && d.prefixLength > (found?.1 ?? -1) {
                    found = (r, d.prefixLength)
                }
            }
            return found?.0
        }
        let route = translatedDst.flatMap(best(for:)) ?? best(for: dst)
            ?? candidates.first { $0.destinations.isEmpty } ?? candidates.first
        guard let route, let start = route.points.firstIndex(of: firstSeen) else { return [firstSeen] }
        return Array(route.points[start...])
    }

    public func egressInfo(for point: CapturePoint) -> EgressInfo? { egress[point] }
}

/// No topology: every path is just the point where the packet was seen.
public struct UnknownPaths: HopPathProvider, Sendable {
    public init() {}
    public func expectedPath(firstSeen: CapturePoint, dst: IPAddress, translatedDst: IPAddress?) -> [CapturePoint] {
        [firstSeen]
    }
    public var knowsPaths: Bool { false }
}
