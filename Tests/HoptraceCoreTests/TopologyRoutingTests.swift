import Testing
import HoptraceCore

@Suite struct TopologyRoutingTests {
    static func link(_ index: Int, _ name: String, _ kind: NetworkInterface.Kind = .veth, peer: (Int?, Int)? = nil, addresses: [String] = []) -> NetworkInterface {
        NetworkInterface(
            index: index, name: name, kind: kind, peer: peer.map { .init(nsid: $0.0, ifindex: $0.1) },
            addresses: addresses.map { text in
                let parts = text.split(separator: "/")
                return InterfaceAddress(ip(String(parts[0])), prefixLength: Int(parts[1])!)
            })
    }

    static func route(_ dst: String, via: String? = nil, dev: String?, kind: Route.Kind = .unicast, metric: Int? = nil) -> Route {
        Route(destination: IPPrefix(parsing: dst)!, gateway: via.map(ip), dev: dev, kind: kind, metric: metric)
    }

    static let router = NamespaceSnapshot(
        name: "r",
        interfaces: [
            link(1, "lo", .loopback, addresses: ["127.0.0.1/8"]),
            link(2, "a", addresses: ["10.0.0.1/24"]), link(3, "b", addresses: ["10.1.0.1/24"]), link(4, "c", addresses: ["10.2.0.1/24"]),
        ],
        routes: [
            route("0.0.0.0/0", via: "10.0.0.254", dev: "a"),
            route("192.0.2.0/24", via: "10.1.0.254", dev: "b"),
            route("192.0.2.128/25", via: "10.2.0.254", dev: "c"),
            route("198.51.100.0/24", dev: "b", metric: 200),
            route("198.51.100.0/24", dev: "c", metric: 100),
            route("203.0.113.0/24", dev: nil, kind: .blackhole),
            route("203.0.113.64/26", dev: "a", kind: .other("throw")),
        ],
        ipForward: true)

    @Test func longestPrefixWins() throws {
        let topo = try Topology([Self.router])
        guard case .output(let dev, let hop, _) = try topo.route(in: "r", to: ip("192.0.2.200")) else { Issue.record("no output"); return }
        #expect(dev == "c" && hop == ip("10.2.0.254"))
        guard case .output(let dev2, let hop2, _) = try topo.route(in: "r", to: ip("192.0.2.5")) else { Issue.record("no output"); return }
        #expect(dev2 == "b" && hop2 == ip("10.1.0.254"))
        guard case .output(let dev3, let hop3, let route3) = try topo.route(in: "r", to: ip("8.8.8.8")) else { Issue.record("no output"); return }
        #expect(dev3 == "a" && hop3 == ip("10.0.0.254") && route3.destination.isDefault)
    }

    @Test func onLinkNextHopIsTheDestinationAndLowerMetricWins() throws {
        let topo = try Topology([Self.router])
        guard case .output(let dev, let hop, _) = try topo.route(in: "r", to: ip("198.51.100.9")) else { Issue.record("no output"); return }
        #expect(dev == "c" && hop == ip("198.51.100.9"))
    }

    @Test func ownAddressesAndLoopbackPrefixAreLocal() throws {
        let topo = try Topology([Self.router])
        #expect(try topo.route(in: "r", to: ip("10.1.0.1")) == .local(netns: "r", iface: "b"))
        #expect(try topo.route(in: "r", to: ip("127.0.0.53")) == .local(netns: "r", iface: "lo"))
        // The subnet's other addresses are not local.
        if case .local = try topo.route(in: "r", to: ip("10.1.0.2")) { Issue.record("10.1.0.2 is not local") }
    }

    @Test func rejectRoutesAndThrow() throws {
        let topo = try Topology([Self.router])
        let decision = try topo.route(in: "r", to: ip("203.0.113.5"))
        guard case .rejected(_, _, let route) = decision else { Issue.record("\(decision)"); return }
        #expect(route.kind == Route.Kind.blackhole)
        #expect(try topo.route(in: "r", to: ip("203.0.113.70")) == .unreachable(netns: "r", destination: ip("203.0.113.70")))
        let stop = topo.walkPath(originatingIn: "r", dst: ip("203.0.113.5")).stop
        #expect(stop.isProblem)
        #expect(stop.description == "r drops packets to 203.0.113.5: route 'blackhole 203.0.113.0/24'")
        // IPv6 destinations do not match IPv4 routes, not even the default.
        #expect(try topo.route(in: "r", to: ip("2001:db8::1")) == .unreachable(netns: "r", destination: ip("2001:db8::1")))
    }

    @Test func unknownNamespaceThrows() throws {
        let topo = try Topology([Self.router])
        #expect(throws: TopologyError.unknownNamespace("x")) { try topo.route(in: "x", to: ip("10.0.0.1")) }
    }

    /// Two namespaces each sending 192.0.2.0/24 to the other: the walk must end and say "loop".
    @Test func routingLoopTerminates() throws {
        let left = NamespaceSnapshot(
            name: "left", interfaces: [Self.link(2, "x", peer: (0, 2), addresses: ["10.9.0.1/30"])],
            routes: [Self.route("10.9.0.0/30", dev: "x"), Self.route("192.0.2.0/24", via: "10.9.0.2", dev: "x")],
            namespaceIDs: [0: "right"], ipForward: true)
        let right = NamespaceSnapshot(
            name: "right", interfaces: [Self.link(2, "y", peer: (0, 2), addresses: ["10.9.0.2/30"])],
            routes: [Self.route("10.9.0.0/30", dev: "y"), Self.route("192.0.2.0/24", via: "10.9.0.1", dev: "y")],
            namespaceIDs: [0: "left"], ipForward: true)
        let topo = try Topology([left, right])
        let walk = topo.walkPath(firstSeen: CapturePoint(netns: "left", iface: "x"), dst: ip("192.0.2.1"))
        guard case .loop = walk.stop.reason else { Issue.record("\(walk.stop)"); return }
        #expect(walk.stop.isProblem)
        #expect(walk.hops.count <= 8)
        #expect(Array(walk.hops.prefix(4)) == ["left:x", "right:y", "right:y", "left:x"].map(point))
    }

    @Test func prefixesAndIPv6Text() {
        #expect(IPPrefix(parsing: "172.18.0.77/24")?.description == "172.18.0.0/24")
        #expect(IPPrefix(parsing: "172.31.39.53/20")?.contains(ip("172.31.45.174")) == true)
        #expect(IPPrefix(parsing: "172.31.39.53/20")?.contains(ip("172.31.48.1")) == false)
        #expect(IPPrefix(parsing: "0.0.0.0/0")?.contains(ip("8.8.8.8")) == true)
        #expect(IPPrefix(parsing: "10.0.0.0/33") == nil)
        #expect(IPPrefix(parsing: "10.0.0.0/x") == nil)
        #expect(IPPrefix(parsing: "fe80::1/64")?.description == "fe80::/64")
        #expect(IPPrefix(parsing: "2001:db8::/32")?.contains(ip("2001:db8:ffff::1")) == true)
        #expect(IPPrefix(parsing: "2001:db8::/32")?.contains(ip("2001:db9::1")) == false)
        #expect(IPPrefix(parsing: "::/0")?.contains(ip("10.0.0.1")) == false)
        #expect(ip("fe80::cc0a:a4ff:feb3:7935").description == "fe80::cc0a:a4ff:feb3:7935")
        #expect(ip("::ffff:192.0.2.1") == .v6(IPv6Address(high: 0, low: 0xFFFF_C000_0201)))
        #expect(ip("1:2:3:4:5:6:7:8").description == "1:2:3:4:5:6:7:8")
        #expect(ip("fe80::1%eth0") == ip("fe80::1"))
        #expect(ip("::") == .v6(IPv6Address(high: 0, low: 0)))
        for bad in ["1::2::3", ":::", "1:2:3:4:5:6:7:8:9", "12345::", "g::1", "1:2:3:4:5:6:7", "::1.2.3", "+1::", ""] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
    }
}
