import HoptraceCore
import Testing

/// docker-proxy's two flows paired: the client's connection to the published port (answered in
/// user space, so conntrack shows no DNAT) and the proxy's own connection to the container. The
/// flows are the correlator's own, made from conntrack events in the engine's namespace, and
/// every change is offered to the linker and its links applied the way the pipeline does.
@Suite struct ProxyLinkerTests {
    static let engine = "htdkhost"
    static let hostIP = "172.31.39.53", bridgeIP = "172.17.0.1", client = "172.17.0.3", container = "172.17.0.2"

    static func v4(_ s: String) -> IPAddress { .v4(IPv4Address(s)!) }

    /// `docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.17.0.2 -container-port 80`.
    static func proxy(pid: Int32 = 812, netns: String? = ProxyLinkerTests.engine, proto: UInt8 = IPProtocol.tcp,
                      hostIP: String? = nil, hostPort: UInt16 = 8080) -> UserlandProxy {
        UserlandProxy(pid: pid, netns: netns, proto: proto, hostIP: hostIP.map { Self.v4($0) }, hostPort: hostPort,
                      containerIP: Self.v4(Self.container), containerPort: 80)
    }

    /// Each link as "flow role→peer" ("1 client→2", "2 upstream→-"), in the order given.
    static func summary(_ links: [(flow: Int, link: ProxyLink)]) -> [String] {
        links.map { l in
            let peer = l.link.peerFlow.map { "\($0)" } ?? "-"
            return "\(l.flow) \(l.link.role.rawValue)→\(peer)"
        }
    }

    static let unpairedClient = "handed to docker-proxy (pid 812) on 0.0.0.0:8080; its connection to the container not seen yet"
    static let unpairedUpstream = "docker-proxy (pid 812)'s connection (its client on 0.0.0.0:8080)"
    static func pairedClient(upstream: Int, guess: String = "") -> String {
        "handed to docker-proxy (pid 812) on 0.0.0.0:8080; new connection 172.17.0.1 → 172.17.0.2:80 (flow \(upstream)\(guess))"
    }
    static func pairedUpstream(client: Int, guess: String = "") -> String {
        "docker-proxy (pid 812)'s connection for flow \(client)\(guess) (its client on 0.0.0.0:8080)"
    }

    // MARK: - Pairing

    @Test func clientThenUpstreamAreLinkedToEachOther() throws {
        let rig = ProxyRig()
        let (c, first) = rig.connect(Self.client, 40000, Self.hostIP, 8080, at: 0)
        #expect(c == 1)
        #expect(Self.summary(first) == ["1 client→-"])
        #expect(rig.text(c) == Self.unpairedClient)

        let (u, second) = rig.connect(Self.bridgeIP, 50000, Self.container, 80, at: 0.002)
        #expect(u == 2)
        #expect(Self.summary(second) == ["1 client→2", "2 upstream→1"])
        #expect(rig.text(c) == "handed to docker-proxy (pid 812) on 0.0.0.0:8080; new connection 172.17.0.1 → 172.17.0.2:80 (flow 2)")
        #expect(rig.text(u) == "docker-proxy (pid 812)'s connection for flow 1 (its client on 0.0.0.0:8080)")

        let cl = try #require(rig.c.flow(c)?.proxy), up = try #require(rig.c.flow(u)?.proxy)
        #expect(cl.role == .client && up.role == .upstream)
        #expect(cl.peerFlow == 2 && up.peerFlow == 1)
        #expect(cl.upstream == "172.17.0.1 → 172.17.0.2:80" && up.upstream == "172.17.0.1 → 172.17.0.2:80")
        #expect(cl.candidates == 1 && up.candidates == 1)
        #expect(cl.proxy == Self.proxy() && up.proxy == Self.proxy())
    }

    @Test func upstreamFirstThenClientAreLinkedToo() throws {
        let rig = ProxyRig()
        let (u, first) = rig.connect(Self.bridgeIP, 50000, Self.container, 80, at: 0)
        #expect(Self.summary(first) == ["1 upstream→-"])
        #expect(rig.text(u) == Self.unpairedUpstream)
        #expect(rig.c.flow(u)?.proxy?.upstream == "172.17.0.1 → 172.17.0.2:80")

        let (c, second) = rig.connect(Self.client, 40000, Self.hostIP, 8080, at: 0.001)
        #expect(c == 2)
        // The client's link first, as when the upstream comes second.
        #expect(Self.summary(second) == ["2 client→1", "1 upstream→2"])
        #expect(rig.text(c) == Self.pairedClient(upstream: 1))
        #expect(rig.text(u) == Self.pairedUpstream(client: 2))
    }

    @Test func aDNATedFlowToThePortIsIptablesNotTheProxys() {
        let rig = ProxyRig()
        // From another host: DOCKER's DNAT rewrote it to the container; the proxy never saw it.
        let (d, links) = rig.connect("172.31.45.174", 40002, Self.hostIP, 8080, at: 0,
                                     replyFrom: (Self.container, 80), status: [.confirmed, .dstNAT])
        #expect(links.isEmpty)
        #expect(rig.c.flow(d)?.conntrackStatus.contains(.dstNAT) == true)
        #expect(rig.c.flow(d) != nil && rig.text(d) == nil)
        // Not remembered as a client: an upstream just after finds nobody to pair with.
        let (u, upstream) = rig.connect(Self.bridgeIP, 50000, Self.container, 80, at: 0.001)
        #expect(Self.summary(upstream) == ["\(u) upstream→-"])
        #expect(rig.c.flow(d) != nil && rig.text(d) == nil)
    }

    @Test func aDNATRewriteLearntWithoutTheStatusBitIsNoClientEither() {
        let rig = ProxyRig()
        // conntrack's tuples say it (the reply comes from the container), the status word does not.
        let (d, links) = rig.connect(Self.client, 40003, Self.hostIP, 8080, at: 0, replyFrom: (Self.container, 80))
        #expect(rig.c.flow(d)?.nat.contains(where: { $0.kind == .dnat }) == true)
        #expect(links.isEmpty)
    }

    @Test func conntrackInAnotherNamespaceIsNotLinked() {
        let rig = ProxyRig()
        // The container's own conntrack sees the client's connection first.
        let (c, inContainer) = rig.connect(Self.client, 40000, Self.hostIP, 8080, at: 0, netns: "web")
        #expect(inContainer.isEmpty)
        #expect(rig.c.flow(c)?.conntrackNetns == "web")
        let (_, upstreamElsewhere) = rig.connect(Self.bridgeIP, 50000, Self.container, 80, at: 0.001, netns: "htother")
        #expect(upstreamElsewhere.isEmpty)
        // The engine's conntrack names the same connection: now it is the proxy's client.
        let (again, inEngine) = rig.connect(Self.client, 40000, Self.hostIP, 8080, at: 0.002)
        #expect(again == c)
        #expect(Self.summary(inEngine) == ["\(c) client→-"])
    }

    @Test func noConntrackYetLinksNothingUntilItArrives() {
        let rig = ProxyRig()
        let syn = DecodedPacket(direction: .outbound, etherType: 0x0800, src: Self.v4(Self.client), dst: Self.v4(Self.hostIP),
                                ipID: 7, ttl: 64, length: 60,
                                transport: .tcp(sport: 40000, dport: 8080, flags: 0x02, seq: 1000, ack: 0, window: 64240))
        let at = rig.time(0)
        let changes = rig.c.ingest(packet: syn, at: CapturePoint(netns: "web", iface: "eth0"), time: at)
        #expect(changes.count == 1)
        #expect(changes.first?.flow.conntrackID == nil)
        #expect(rig.apply(changes, at: at).isEmpty)
        let id = rig.c.lastFlowID
        #expect(id == 1)

        let (c, links) = rig.connect(Self.client, 40000, Self.hostIP, 8080, at: 0.0005)
        #expect(c == 1)
        #expect(Self.summary(links) == ["1 client→-"])
        let (_, paired) = rig.connect(Self.bridgeIP, 50000, Self.container, 80, at: 0.002)
        #expect(Self.summary(paired) == ["1 client→2", "2 upstream→1"])
    }

    // MARK: - Timing

    @Test func beyondTheWindowNothingPairs() {
        #expect(ProxyLinker.window == 5.0)
        let rig = ProxyRig()
        let (c, _) = rig.connect(Self.client, 40000, Self.hostIP, 8080, at: 0)
        let (u, late) = rig.connect(Self.bridgeIP, 50000, Self.container, 80, at: 5.001)
        #expect(Self.summary(late) == ["2 upstream→-"])
        #expect(rig.text(c) == Self.unpairedClient)
        #expect(rig.text(u) == Self.unpairedUpstream)
        #expect(rig.c.flow(c)?.proxy?.peerFlow == nil)
    }

    @Test func exactlyTheWindowApartStillPairs() {
        let rig = ProxyRig()
        _ = rig.connect(Self.client, 40000, Self.hostIP, 8080, at: 0)
        let (_, links) = rig.connect(Self.bridgeIP, 50000, Self.container, 80, at: 5.0)
        #expect(Self.summary(links) == ["1 client→2", "2 upstream→1"])
    }

    @Test func twoClientsInTheWindowTheNearestPairsAndTheGuessIsSaid() {
        let rig = ProxyRig()
        let (a, _) = rig.connect(Self.client, 40000, Self.hostIP, 8080, at: 0)
        let (b, _) = rig.connect("172.17.0.4", 40001, Self.hostIP, 8080, at: 1.0)
        let (u1, first) = rig.connect(Self.bridgeIP, 50000, Self.container, 80, at: 1.2)
        #expect([a, b, u1] == [1, 2, 3])
        #expect(Self.summary(first) == ["2 client→3", "3 upstream→2"])
        #expect(rig.c.flow(b)?.proxy?.candidates == 2 && rig.c.flow(u1)?.proxy?.candidates == 2)
        #expect(rig.text(b) == Self.pairedClient(upstream: 3, guess: ", one of 2 connections at that time"))
        #expect(rig.text(b) == "handed to docker-proxy (pid 812) on 0.0.0.0:8080; new connection 172.17.0.1 → 172.17.0.2:80 (flow 3, one of 2 connections at that time)")
        #expect(rig.text(u1) == "docker-proxy (pid 812)'s connection for flow 2, one of 2 connections at that time (its client on 0.0.0.0:8080)")
        #expect(rig.text(a) == Self.unpairedClient)

        // The one left over pairs with the next upstream, no longer a guess.
        let (u2, second) = rig.connect(Self.bridgeIP, 50001, Self.container, 80, at: 1.3)
        #expect(Self.summary(second) == ["1 client→4", "4 upstream→1"])
        #expect(rig.text(a) == Self.pairedClient(upstream: u2))
        #expect(rig.c.flow(a)?.proxy?.candidates == 1)
    }

    // MARK: - Proxies

    @Test func theTwinListenersOfAPortAreOneProxyTheLowerPid() throws {
        let v6Twin = try #require(UserlandProxy(pid: 813, netns: Self.engine, commandLine: [
            "/usr/sbin/docker-proxy", "-proto", "tcp", "-host-ip", "::", "-host-port", "8080",
            "-container-ip", "172.17.0.2", "-container-port", "80"]))
        let v4Listener = try #require(UserlandProxy(pid: 812, netns: Self.engine, commandLine: [
            "/usr/sbin/docker-proxy", "-proto", "tcp", "-host-ip", "0.0.0.0", "-host-port", "8080",
            "-container-ip", "172.17.0.2", "-container-port", "80"]))
        let elsewhere = Self.proxy(pid: 700, netns: "htother")
        let udp = Self.proxy(pid: 900, proto: IPProtocol.udp)
        let otherPort = Self.proxy(pid: 901, hostPort: 8081)
        let linker = ProxyLinker(proxies: [v6Twin, otherPort, v4Listener, udp, elsewhere])
        #expect(linker.proxies.map(\.pid) == [700, 812, 900, 901])
        #expect(linker.proxies[1] == Self.proxy())

        let rig = ProxyRig(proxies: [v6Twin, v4Listener])
        let (_, links) = rig.connect(Self.client, 40000, Self.hostIP, 8080, at: 0)
        #expect(links.first?.link.proxy.pid == 812)
        #expect(rig.text(1) == Self.unpairedClient)
    }

    @Test func theProtocolMustMatch() {
        let rig = ProxyRig(proxies: [Self.proxy(proto: IPProtocol.udp)])
        #expect(rig.connect(Self.client, 40000, Self.hostIP, 8080, at: 0).links.isEmpty)
        let (_, udp) = rig.connect(Self.client, 40001, Self.hostIP, 8080, at: 0.1, proto: IPProtocol.udp)
        #expect(Self.summary(udp) == ["2 client→-"])
        #expect(udp.first?.link.proxy.proto == IPProtocol.udp)
    }

    @Test func aProxyOnOneAddressTakesOnlyThatAddress() {
        let rig = ProxyRig(proxies: [Self.proxy(hostIP: "192.0.2.1")])
        // The namespace owns 172.31.39.53, but the proxy does not listen there.
        #expect(rig.connect(Self.client, 40000, Self.hostIP, 8080, at: 0).links.isEmpty)
        // Not in `owns`' list, but the very address it listens on.
        let (c, links) = rig.connect(Self.client, 40001, "192.0.2.1", 8080, at: 0.1)
        #expect(Self.summary(links) == ["\(c) client→-"])
        #expect(rig.text(c) == "handed to docker-proxy (pid 812) on 192.0.2.1:8080; its connection to the container not seen yet")
    }

    @Test func anUpstreamMustStartAtAnAddressOfTheProxysNamespace() {
        let rig = ProxyRig()
        // Another container talking to the same container port is no proxy's connection.
        #expect(rig.connect("172.17.0.5", 50000, Self.container, 80, at: 0).links.isEmpty)
        #expect(rig.connect(Self.bridgeIP, 50001, Self.container, 81, at: 0).links.isEmpty)
    }

    // MARK: - Once

    @Test func aFlowIsLinkedOnlyOnce() throws {
        let rig = ProxyRig()
        let (c, first) = rig.connect(Self.client, 40000, Self.hostIP, 8080, at: 0)
        #expect(first.count == 1)
        // conntrack's later events for the same entry change the flow, not its link.
        let (same, update) = rig.connect(Self.client, 40000, Self.hostIP, 8080, at: 0.001, status: [.confirmed, .seenReply],
                                         kind: .update)
        #expect(same == c)
        #expect(update.isEmpty)
        let flow = try #require(rig.c.flow(c))
        #expect(rig.linker.link(flow, at: rig.time(0.002), owns: rig.owns).isEmpty)

        let (u, paired) = rig.connect(Self.bridgeIP, 50000, Self.container, 80, at: 0.003)
        #expect(Self.summary(paired) == ["1 client→2", "2 upstream→1"])
        let (_, again) = rig.connect(Self.bridgeIP, 50000, Self.container, 80, at: 0.004, status: [.confirmed, .seenReply],
                                     kind: .update)
        #expect(again.isEmpty)
        // A second upstream finds no client: the first one is taken.
        let (_, next) = rig.connect(Self.bridgeIP, 50001, Self.container, 80, at: 0.005)
        #expect(Self.summary(next) == ["3 upstream→-"])
        #expect(rig.c.flow(u)?.proxy?.peerFlow == c)
    }

    // MARK: - localhost

    @Test func aLocalhostClientIsTheProxysWhenLoopbackIsOwned() {
        let rig = ProxyRig(loopback: true)
        let (c, links) = rig.connect("127.0.0.1", 40000, "127.0.0.1", 8080, at: 0)
        #expect(Self.summary(links) == ["1 client→-"])
        let (u, paired) = rig.connect(Self.bridgeIP, 50000, Self.container, 80, at: 0.001)
        #expect(Self.summary(paired) == ["1 client→2", "2 upstream→1"])
        #expect(rig.text(c) == Self.pairedClient(upstream: u))
        #expect(rig.text(u) == Self.pairedUpstream(client: c))

        // Without loopback among the namespace's addresses, 127.0.0.1 is nobody's.
        let strict = ProxyRig(loopback: false)
        #expect(strict.connect("127.0.0.1", 40000, "127.0.0.1", 8080, at: 0).links.isEmpty)
    }

    @Test func noProxiesNoLinks() {
        let rig = ProxyRig(proxies: [])
        #expect(rig.linker.proxies.isEmpty)
        #expect(rig.connect(Self.client, 40000, Self.hostIP, 8080, at: 0).links.isEmpty)
        #expect(rig.connect(Self.bridgeIP, 50000, Self.container, 80, at: 0.001).links.isEmpty)
    }
}

/// A correlator fed conntrack events (by default from the engine's namespace, htdkhost), and a
/// linker that is offered every change and whose links are applied as the pipeline applies them.
/// `owns` says htdkhost owns its uplink address and the docker0 bridge's (and, asked to, loopback).
final class ProxyRig {
    let c = Correlator(paths: StaticPaths([]))
    var linker: ProxyLinker
    let owns: (String?, IPAddress) -> Bool
    let t0 = EventTime(seconds: 1_795_438_391, micros: 0)

    init(proxies: [UserlandProxy] = [ProxyLinkerTests.proxy()], loopback: Bool = false) {
        linker = ProxyLinker(proxies: proxies)
        let own: Set<IPAddress> = [ProxyLinkerTests.v4(ProxyLinkerTests.hostIP), ProxyLinkerTests.v4(ProxyLinkerTests.bridgeIP)]
        owns = { netns, address in
            guard netns == ProxyLinkerTests.engine else { return false }
            return own.contains(address) || loopback && address.v4.map { $0.raw >> 24 == 127 } == true
        }
    }

    func time(_ seconds: Double) -> EventTime { t0.adding(seconds: seconds) }

    /// The links each change makes, annotated on the flows.
    func apply(_ changes: [FlowChange], at time: EventTime) -> [(flow: Int, link: ProxyLink)] {
        var out: [(flow: Int, link: ProxyLink)] = []
        for change in changes where change.kind != .ended {
            let links = linker.link(change.flow, at: time, owns: owns)
            for (id, link) in links { c.annotate(id, proxy: link) }
            out += links
        }
        return out
    }

    /// conntrack's event for a connection `src:sport → dst:dport` (its reply from `replyFrom`,
    /// else from `dst:dport`: not NATed), `seconds` after t0. The entry's id follows from its
    /// source port. Returns the flow's id and the links made.
    @discardableResult
    func connect(_ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16, at seconds: Double,
                 replyFrom: (String, UInt16)? = nil, status: ConntrackStatus = [.confirmed],
                 netns: String? = ProxyLinkerTests.engine, proto: UInt8 = IPProtocol.tcp,
                 kind: ConntrackEvent.Kind = .new) -> (id: Int, links: [(flow: Int, link: ProxyLink)]) {
        let v4 = ProxyLinkerTests.v4
        let (rsrc, rport) = replyFrom ?? (dst, dport)
        let e = ConntrackEvent(kind: kind, proto: proto,
                               orig: .init(src: v4(src), dst: v4(dst), sport: sport, dport: dport),
                               reply: .init(src: v4(rsrc), dst: v4(src), sport: rport, dport: sport),
                               status: status, tcpState: proto == IPProtocol.tcp ? 1 : nil, timeout: 120,
                               id: UInt32(sport))
        let at = time(seconds)
        let changes = c.ingest(conntrack: e, netns: netns, time: at)
        let links = apply(changes, at: at)
        return (c.lastFlowID ?? -1, links)
    }

    /// The flow's link in words (nil: none).
    func text(_ id: Int) -> String? { c.flow(id)?.proxy?.text }
}
