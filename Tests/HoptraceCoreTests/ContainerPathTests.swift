import Foundation
import HoptraceCore
import Testing

/// The engine lab as `ip -j` saw it (Tests/Fixtures/engine, see its README): the engine's host
/// namespace (htdkhost / htpmhost) and web's. Two things the capture lacks are made here:
/// - the nsid tables (`ip -j netns list-id`): each test says whether they name the other side;
/// - linkinfo on web's links: capture.sh read them with `ip -j link show`, without `-d`, so
///   eth0 does not say it is a veth. hoptrace reads links with `-d`; only that field is added.
/// Interface names, ifindexes and nsids are this capture's: after a recapture, update the tests.
enum EngineLab {
    static func hostName(_ engine: String) -> String { engine == "docker" ? "htdkhost" : "htpmhost" }
    static func remoteName(_ engine: String) -> String { engine == "docker" ? "htdkremote" : "htpmremote" }

    /// The host's nsid table as the lab would print it: 0 is the remote (the uplink's peer), the
    /// containers' ids (as many as the host has container veths) have no name.
    static func hostNsids(_ engine: String) -> String {
        let containers = engine == "docker" ? 4 : 2
        return "[{\"nsid\":0,\"name\":\"\(remoteName(engine))\"}"
            + (1...containers).map { ",{\"nsid\":\($0)}" }.joined() + "]"
    }

    /// web's nsid table: 0 is the host.
    static func webNsids(_ engine: String) -> String { "[{\"nsid\":0,\"name\":\"\(hostName(engine))\"}]" }

    /// `name` nil: the host is the namespace hoptrace runs in.
    static func host(_ engine: String, name: String?, nsids: String) throws -> NamespaceSnapshot {
        try NamespaceSnapshot(
            name: name, linkJSON: EngineAPIFixtures.data(engine, "host-ip-link-details.json"),
            addrJSON: EngineAPIFixtures.data(engine, "host-ip-addr.json"),
            routeJSON: EngineAPIFixtures.data(engine, "host-ip-route.json"),
            nsidJSON: Data(nsids.utf8), ipForward: nil)
    }

    static func web(_ engine: String, nsids: String) throws -> NamespaceSnapshot {
        try NamespaceSnapshot(
            name: "web", linkJSON: webLinks(engine), addrJSON: EngineAPIFixtures.data(engine, "web-ip-addr.json"),
            routeJSON: EngineAPIFixtures.data(engine, "web-ip-route.json"), nsidJSON: Data(nsids.utf8), ipForward: nil)
    }

    /// web-ip-link.json with eth0's `"linkinfo": {"info_kind": "veth"}`, as `-d` prints it.
    static func webLinks(_ engine: String) throws -> Data {
        let text = String(decoding: try EngineAPIFixtures.data(engine, "web-ip-link.json"), as: UTF8.self)
        let anchor = #""ifname": "eth0","#
        try #require(text.components(separatedBy: anchor).count == 2, "web-ip-link.json names eth0 once")
        return Data(text.replacingOccurrences(of: anchor, with: anchor + #" "linkinfo": {"info_kind": "veth"},"#).utf8)
    }

    /// Host and web; `named`: each nsid table names the other side (else both are `[]`, and
    /// veths are paired by their ifindexes alone).
    static func topology(_ engine: String, named: Bool = true) throws -> Topology {
        try Topology([
            host(engine, name: hostName(engine), nsids: named ? hostNsids(engine) : "[]"),
            web(engine, nsids: named ? webNsids(engine) : "[]"),
        ])
    }
}

@Suite struct ContainerPathTests {
    // MARK: - Docker: veth<7 hex> on docker0; the host has four container veths, only web's was captured

    static let dockerWeb = ["web:eth0", "htdkhost:veth06c555f", "htdkhost:docker0", "htdkhost:enX0"].map(point)

    @Test func dockerWebLeavesThroughItsVethTheBridgeAndTheUplink() throws {
        let topology = try EngineLab.topology("docker")
        let points = ContainerPath.points(of: "web", in: topology)
        #expect(points == Self.dockerWeb)
        // The other containers' veths (on docker0 and on hoptest's bridge) are no part of it.
        for other in ["vethe4996f4", "vethda580ed", "veth3bf5e7e", "br-360e73088828"] {
            #expect(!points.contains(point("htdkhost:\(other)")))
        }
    }

    @Test func dockerVethsArePairedWithoutNamedNsids() throws {
        // Container namespaces have no `ip netns` name: the pair's ifindexes alone decide.
        let unnamed = try EngineLab.topology("docker", named: false)
        #expect(ContainerPath.points(of: "web", in: unnamed) == Self.dockerWeb)
    }

    // MARK: - Podman: every container's eth0 is ifindex 2, every host veth's link_index 2

    static let podmanWeb = ["web:eth0", "htpmhost:veth0", "htpmhost:podman0", "htpmhost:enX0"].map(point)

    @Test func podmanWebLeavesThroughVeth0NotVeth1() throws {
        let topology = try EngineLab.topology("podman")
        let points = ContainerPath.points(of: "web", in: topology)
        #expect(points == Self.podmanWeb)
        #expect(!points.contains(point("htpmhost:veth1")))
        let unnamed = try EngineLab.topology("podman", named: false)
        #expect(ContainerPath.points(of: "web", in: unnamed) == Self.podmanWeb)
    }

    /// A second container made from web's namespace: the same eth0 (ifindex 2), led to veth1
    /// (ifindex 5), with its own address. pinger's namespace was not captured.
    static func podmanPinger(nsids: String) throws -> NamespaceSnapshot {
        var pinger = try EngineLab.web("podman", nsids: nsids)
        pinger.name = "pinger"
        let eth0 = try #require(pinger.interfaces.firstIndex { $0.name == "eth0" })
        try #require(pinger.interfaces[eth0].index == 2 && pinger.interfaces[eth0].peer == NetworkInterface.PeerReference(nsid: 0, ifindex: 4))
        pinger.interfaces[eth0].peer = .init(nsid: 0, ifindex: 5)
        pinger.interfaces[eth0].addresses = [InterfaceAddress(ip("10.88.0.3"), prefixLength: 16)]
        return pinger
    }

    @Test func twoPodmanContainersWithTheSameEth0EachGetTheirOwnVeth() throws {
        for named in [true, false] {
            let host = try EngineLab.host("podman", name: "htpmhost", nsids: named ? EngineLab.hostNsids("podman") : "[]")
            let webIDs = named ? EngineLab.webNsids("podman") : "[]"
            let topology = try Topology([host, EngineLab.web("podman", nsids: webIDs), Self.podmanPinger(nsids: webIDs)])
            #expect(ContainerPath.points(of: "web", in: topology) == Self.podmanWeb, "named nsids: \(named)")
            #expect(ContainerPath.points(of: "pinger", in: topology)
                    == ["pinger:eth0", "htpmhost:veth1", "htpmhost:podman0", "htpmhost:enX0"].map(point), "named nsids: \(named)")
        }
    }

    @Test func theHostMayBeHoptracesOwnNamespace() throws {
        // hoptrace runs in htpmhost: its points have no netns. web's table cannot name it, so
        // the pair is matched by ifindexes.
        let topology = try Topology([EngineLab.host("podman", name: nil, nsids: "[]"), EngineLab.web("podman", nsids: "[]")])
        #expect(ContainerPath.points(of: "web", in: topology) == [
            point("web:eth0"), CapturePoint(netns: nil, iface: "veth0"),
            CapturePoint(netns: nil, iface: "podman0"), CapturePoint(netns: nil, iface: "enX0"),
        ])
    }

    // MARK: - What leads nowhere

    @Test func aContainerWhoseNamespaceIsNotInTheTopologyHasNoPoints() throws {
        let topology = try EngineLab.topology("docker")
        #expect(ContainerPath.points(of: "pinger", in: topology) == [])
        #expect(ContainerPath.points(of: "/proc/4242/ns/net", in: topology) == [])
    }

    @Test func withoutTheHostOnlyTheContainersOwnInterfacesRemain() throws {
        let topology = try Topology([EngineLab.web("docker", nsids: EngineLab.webNsids("docker"))])
        #expect(ContainerPath.points(of: "web", in: topology) == [point("web:eth0")])
    }

    @Test func downInterfacesAndTheLoopbackAreNoPoints() throws {
        var web = try EngineLab.web("docker", nsids: EngineLab.webNsids("docker"))
        let eth0 = try #require(web.interfaces.firstIndex { $0.name == "eth0" })
        web.interfaces[eth0].isUp = false
        let topology = try Topology([EngineLab.host("docker", name: "htdkhost", nsids: EngineLab.hostNsids("docker")), web])
        #expect(ContainerPath.points(of: "web", in: topology) == [])
    }

    @Test func uplinksAreTheDefaultRoutesInterfacesIPv4First() throws {
        // A second uplink carrying only an IPv6 default, listed before the IPv4 one.
        var host = try EngineLab.host("docker", name: "htdkhost", nsids: EngineLab.hostNsids("docker"))
        host.interfaces.append(NetworkInterface(index: 99, name: "enX1", kind: .other))
        host.routes.insert(Route(destination: try #require(IPPrefix(parsing: "::/0")), dev: "enX1"), at: 0)
        // A default over the loopback is no way out.
        host.routes.append(Route(destination: try #require(IPPrefix(parsing: "0.0.0.0/0")), dev: "lo", metric: 900))
        let topology = try Topology([host, EngineLab.web("docker", nsids: EngineLab.webNsids("docker"))])
        #expect(ContainerPath.points(of: "web", in: topology) == Self.dockerWeb + [point("htdkhost:enX1")])
    }
}
