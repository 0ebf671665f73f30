import HoptraceCore
import Testing

/// Drops in Docker's own chains, said the Docker way: a DOCKER-USER rule (the user's own: delete
/// it, or RETURN this traffic to Docker's rules) and DOCKER-ISOLATION-STAGE-* (two networks kept
/// apart: `docker network connect`). The engine's namespace is htdkhost; container `web`
/// (172.17.0.2, on docker0) sends; the traces are built as RulePathBuilder leaves them.
@Suite struct DockerChainDropRuleTests {
    static let engine = "htdkhost"
    static func ip(_ s: String) -> IPAddress { IPAddress(s)! }
    static let web = ip("172.17.0.2"), remote = ip("172.31.45.174"), db = ip("172.19.0.2")
    static let webEth0 = CapturePoint(netns: "web", iface: "eth0")
    static let docker0 = CapturePoint(netns: engine, iface: "docker0"), eth0 = CapturePoint(netns: engine, iface: "eth0")
    /// ifindexes in htdkhost.
    static let lo: UInt32 = 1, uplink: UInt32 = 2, docker0Index: UInt32 = 3, userBridge: UInt32 = 4

    /// htdkhost as `ip -j` would show it: the uplink, docker0 and a user network's bridge.
    static func topology() throws -> Topology {
        try Topology([NamespaceSnapshot(name: engine, interfaces: [
            NetworkInterface(index: Int(lo), name: "lo", kind: .loopback, addresses: [InterfaceAddress(ip("127.0.0.1"), prefixLength: 8, scope: .host)]),
            NetworkInterface(index: Int(uplink), name: "eth0", kind: .other, addresses: [InterfaceAddress(ip("172.31.39.53"), prefixLength: 20)]),
            NetworkInterface(index: Int(docker0Index), name: "docker0", kind: .bridge, addresses: [InterfaceAddress(ip("172.17.0.1"), prefixLength: 16)]),
            NetworkInterface(index: Int(userBridge), name: "br-0123456789ab", kind: .bridge, addresses: [InterfaceAddress(ip("172.19.0.1"), prefixLength: 16)]),
        ], routes: [], ipForward: true)])
    }

    static func echo(_ src: IPAddress, _ dst: IPAddress, reply: Bool = false) -> DecodedPacket {
        DecodedPacket(direction: .other, etherType: 0x0800, src: src, dst: dst, ipID: 4321, ttl: 63, length: 84,
                      transport: .icmp(type: reply ? 0 : 8, code: 0, id: 9, seq: 1))
    }

    static func tcp(_ src: IPAddress, _ dst: IPAddress, dport: UInt16) -> DecodedPacket {
        DecodedPacket(direction: .other, etherType: 0x0800, src: src, dst: dst, ipID: 4322, ttl: 63, length: 60,
                      transport: .tcp(sport: 40000, dport: dport, flags: 0x02, seq: 1000, ack: 0, window: 64240))
    }

    static func udp(_ src: IPAddress, _ dst: IPAddress, dport: UInt16) -> DecodedPacket {
        DecodedPacket(direction: .other, etherType: 0x0800, src: src, dst: dst, ipID: 4323, ttl: 63, length: 40,
                      transport: .udp(sport: 40000, dport: dport))
    }

    /// The request vanished after docker0; its first sighting was in `firstHop`'s namespace.
    static func input(_ packet: DecodedPacket, firstHop: CapturePoint? = webEth0, leg: Journey.Leg = .request) -> DiagnosisInput {
        let key = FlowKey(packet: packet)!
        let orig = leg == .request ? key : key.reversed()
        let hops = firstHop.map { [Hop(point: $0, dir: .outbound, time: EventTime(micros: 0), src: orig.src, dst: orig.dst)] } ?? []
        return DiagnosisInput(proto: key.proto, echo: key.proto == IPProtocol.icmp || key.proto == IPProtocol.icmpv6, orig: orig,
                              reply: leg == .reply ? key : nil,
                              verdict: Verdict(.vanished, at: docker0, reason: "vanished after \(docker0), before \(eth0)"),
                              failedLeg: leg, lastSeen: docker0, nextExpected: eth0, requestHops: hops,
                              conntrackSeen: leg == .reply)
    }

    static func step(_ chain: String, _ handle: UInt64?, _ text: String?, _ verdict: TraceVerdict,
                     kind: TraceEvent.Kind = .rule, family: NFTFamily = .ip) -> RuleStep {
        RuleStep(family: family, table: "filter", chain: chain, kind: kind, handle: handle, ruleText: text, verdict: verdict)
    }

    static let jumpUser = step("FORWARD", 7, "counter jump DOCKER-USER", .jump("DOCKER-USER"))
    static let jumpIsolation = step("FORWARD", 8, "counter jump DOCKER-ISOLATION-STAGE-1", .jump("DOCKER-ISOLATION-STAGE-1"))

    static func path(_ packet: DecodedPacket, _ steps: [RuleStep], iif: UInt32? = docker0Index, oif: UInt32? = uplink,
                     direction: UInt8? = nil) -> RulePath {
        var p = RulePath(netns: engine, traceIDs: [0x5eed], packets: [packet], steps: steps)
        p.iif = iif
        p.oif = oif
        p.conntrackDirection = direction
        return p
    }

    static func diagnose(_ input: DiagnosisInput, _ path: RulePath) throws -> Diagnosis? {
        Diagnoser.diagnose(input, topology: try topology(), traces: [path], facts: FactsBook())
    }

    static func context(_ input: DiagnosisInput, _ path: RulePath) throws -> DiagnosisContext {
        DiagnosisContext(input: input, topology: try topology(), traces: [path], facts: FactsBook())
    }

    // MARK: - DOCKER-USER

    static let userDrop = step("DOCKER-USER", 19, "ip saddr 172.17.0.2 ip daddr 172.31.45.174 counter drop", .drop)

    @Test func aDockerUserDropNamesTheRuleAndBothWaysOut() throws {
        let packet = Self.echo(Self.web, Self.remote)
        let input = Self.input(packet)
        let trace = Self.path(packet, [Self.jumpUser, Self.userDrop])
        let d = try #require(try Self.diagnose(input, trace))
        #expect(d.id == "docker-user-drop")
        #expect(d.rule == "ip filter DOCKER-USER rule handle 19: ip saddr 172.17.0.2 ip daddr 172.31.45.174 counter drop")
        #expect(d.reason == "dropped in htdkhost by ip filter DOCKER-USER rule handle 19: ip saddr 172.17.0.2 ip daddr 172.31.45.174 counter drop: a rule in DOCKER-USER, where Docker runs your own rules before its own; remove it, or let this traffic return to Docker's rules (ip netns exec htdkhost iptables -I DOCKER-USER -p icmp -s 172.17.0.2 -d 172.31.45.174 -j RETURN)")
        #expect(d.fix == "ip netns exec htdkhost nft delete rule ip filter DOCKER-USER handle 19")
        #expect(d.alternatives == ["ip netns exec htdkhost iptables -I DOCKER-USER -p icmp -s 172.17.0.2 -d 172.31.45.174 -j RETURN"])
        #expect(d.evidence == .traced)
        // The rule on its own says the same; the generic rule behind it would have said less.
        let c = try Self.context(input, trace)
        #expect(DockerUserDropRule().diagnose(c) == d)
        #expect(TracedDropRule().diagnose(c)?.id == "traced-drop")
    }

    @Test func aTCPReturnNamesTheDestinationPort() throws {
        let packet = Self.tcp(Self.web, Self.remote, dport: 443)
        let drop = Self.step("DOCKER-USER", 19, "ip saddr 172.17.0.2 tcp dport 443 counter drop", .drop)
        let d = try #require(try Self.diagnose(Self.input(packet), Self.path(packet, [Self.jumpUser, drop])))
        #expect(d.id == "docker-user-drop")
        #expect(d.fix == "ip netns exec htdkhost nft delete rule ip filter DOCKER-USER handle 19")
        #expect(d.alternatives == ["ip netns exec htdkhost iptables -I DOCKER-USER -p tcp -s 172.17.0.2 -d 172.31.45.174 --dport 443 -j RETURN"])
        #expect(d.reason.hasSuffix("(ip netns exec htdkhost iptables -I DOCKER-USER -p tcp -s 172.17.0.2 -d 172.31.45.174 --dport 443 -j RETURN)"))
    }

    @Test func aUDPReturnNamesTheDestinationPortToo() throws {
        let packet = Self.udp(Self.web, Self.remote, dport: 53)
        let d = try #require(try Self.diagnose(Self.input(packet), Self.path(packet, [Self.jumpUser, Self.userDrop])))
        #expect(d.alternatives == ["ip netns exec htdkhost iptables -I DOCKER-USER -p udp -s 172.17.0.2 -d 172.31.45.174 --dport 53 -j RETURN"])
    }

    @Test func aRejectInDockerUserSaysRejected() throws {
        let packet = Self.echo(Self.web, Self.remote)
        let reject = Self.step("DOCKER-USER", 20, "ip daddr 172.31.45.174 counter reject", .drop)
        let d = try #require(try Self.diagnose(Self.input(packet), Self.path(packet, [Self.jumpUser, reject])))
        #expect(d.id == "docker-user-drop")
        #expect(d.reason.hasPrefix("rejected in htdkhost by ip filter DOCKER-USER rule handle 20: ip daddr 172.31.45.174 counter reject: a rule in DOCKER-USER"))
        #expect(d.fix == "ip netns exec htdkhost nft delete rule ip filter DOCKER-USER handle 20")
    }

    @Test func aReplyDroppedInDockerUserReturnsTheReplysOwnAddresses() throws {
        let reply = Self.echo(Self.remote, Self.web, reply: true)
        let input = Self.input(reply, leg: .reply)
        let d = try #require(try Self.diagnose(input, Self.path(reply, [Self.jumpUser, Self.userDrop], iif: Self.uplink,
                                                                oif: Self.docker0Index, direction: 1)))
        #expect(d.id == "docker-user-drop")
        #expect(d.reason.hasPrefix("reply dropped in htdkhost by ip filter DOCKER-USER rule handle 19"))
        #expect(d.alternatives == ["ip netns exec htdkhost iptables -I DOCKER-USER -p icmp -s 172.31.45.174 -d 172.17.0.2 -j RETURN"])
    }

    @Test func withoutAHandleTheReturnIsTheFix() throws {
        let packet = Self.echo(Self.web, Self.remote)
        let unknown = Self.step("DOCKER-USER", nil, nil, .drop)
        let d = try #require(try Self.diagnose(Self.input(packet), Self.path(packet, [Self.jumpUser, unknown])))
        #expect(d.id == "docker-user-drop")
        #expect(d.rule == "ip filter DOCKER-USER rule (verdict drop)")
        #expect(d.fix == "ip netns exec htdkhost iptables -I DOCKER-USER -p icmp -s 172.17.0.2 -d 172.31.45.174 -j RETURN")
        #expect(d.alternatives == [])
        #expect(d.reason == "dropped in htdkhost by ip filter DOCKER-USER rule (verdict drop): a rule in DOCKER-USER, where Docker runs your own rules before its own; remove it, or let this traffic return to Docker's rules (ip netns exec htdkhost iptables -I DOCKER-USER -p icmp -s 172.17.0.2 -d 172.31.45.174 -j RETURN)")
    }

    @Test func anIPv6DropOffersNoIptablesReturn() throws {
        let packet = DecodedPacket(direction: .other, etherType: 0x86DD, src: Self.ip("fd00::2"), dst: Self.ip("2001:db8::1"),
                                   ttl: 63, length: 104, transport: .icmpv6(type: 128, code: 0, id: 9, seq: 1))
        let drop = Self.step("DOCKER-USER", 19, "ip6 daddr 2001:db8::1 counter drop", .drop, family: .ip6)
        let d = try #require(try Self.diagnose(Self.input(packet), Self.path(packet, [drop])))
        #expect(d.id == "docker-user-drop")
        #expect(d.fix == "ip netns exec htdkhost nft delete rule ip6 filter DOCKER-USER handle 19")
        #expect(d.alternatives == [])
        #expect(d.reason == "dropped in htdkhost by ip6 filter DOCKER-USER rule handle 19: ip6 daddr 2001:db8::1 counter drop: a rule in DOCKER-USER, where Docker runs your own rules before its own; remove it, or let this traffic return to Docker's rules")
    }

    @Test func aReturnFromDockerUserIsNoDrop() throws {
        // Docker's own last DOCKER-USER rule (`-j RETURN`), then accepted: nothing to diagnose here.
        let packet = Self.echo(Self.web, Self.remote)
        let trace = Self.path(packet, [Self.jumpUser, Self.step("DOCKER-USER", 12, "counter return", .return),
                                       Self.step("FORWARD", 9, "iifname \"docker0\" oifname != \"docker0\" counter accept", .accept)])
        let c = try Self.context(Self.input(packet), trace)
        #expect(DockerUserDropRule().diagnose(c) == nil)
        #expect(DockerIsolationDropRule().diagnose(c) == nil)
    }

    // MARK: - DOCKER-ISOLATION

    static let stage1 = step("DOCKER-ISOLATION-STAGE-1", 30, "iifname \"docker0\" oifname != \"docker0\" counter jump DOCKER-ISOLATION-STAGE-2",
                             .jump("DOCKER-ISOLATION-STAGE-2"))
    static let stage2Drop = step("DOCKER-ISOLATION-STAGE-2", 31, "oifname \"br-0123456789ab\" counter drop", .drop)

    /// Containers' namespaces go by their names as aliases (unique per run: aliases are process-wide).
    static let webContainer = container("web"), dbContainer = container("db")
    static func container(_ name: String) -> String {
        let alias = "\(name)-\(UInt32.random(in: 0...UInt32.max))"
        NetworkNamespace.register(alias: alias, path: "/proc/4567/ns/net")
        return alias
    }

    @Test func anIsolationDropSuggestsConnectingTheContainer() throws {
        let packet = Self.echo(Self.web, Self.db)
        let trace = Self.path(packet, [Self.jumpIsolation, Self.stage1, Self.stage2Drop], oif: Self.userBridge)
        let d = try #require(try Self.diagnose(Self.input(packet, firstHop: CapturePoint(netns: Self.webContainer, iface: "eth0")), trace))
        #expect(d.id == "docker-isolation-drop")
        #expect(d.rule == "ip filter DOCKER-ISOLATION-STAGE-2 rule handle 31: oifname \"br-0123456789ab\" counter drop")
        #expect(d.reason == "dropped in htdkhost by ip filter DOCKER-ISOLATION-STAGE-2 rule handle 31: oifname \"br-0123456789ab\" counter drop from docker0 to br-0123456789ab: Docker isolates its networks from each other; connect the container to the other network instead of opening FORWARD")
        #expect(d.fix == "docker network connect 0123456789ab \(Self.webContainer)")
        // A first hop in a /run/netns namespace (web:eth0 here is no container) gets no command.
        #expect(try Self.diagnose(Self.input(packet), trace)?.fix == nil)
        #expect(d.alternatives == [])
        #expect(d.evidence == .traced)
    }

    @Test func aFirstHopInAPathNamespaceGetsNoConnectCommand() throws {
        let packet = Self.echo(Self.web, Self.db)
        let trace = Self.path(packet, [Self.jumpIsolation, Self.stage1, Self.stage2Drop], oif: Self.userBridge)
        let input = Self.input(packet, firstHop: CapturePoint(netns: "/proc/4567/ns/net", iface: "eth0"))
        let d = try #require(try Self.diagnose(input, trace))
        #expect(d.id == "docker-isolation-drop")
        #expect(d.fix == nil)
        #expect(d.reason.hasSuffix("counter drop from docker0 to br-0123456789ab: Docker isolates its networks from each other; connect the container to the other network instead of opening FORWARD"))
        // Nor without any request hop.
        let noHop = try #require(try Self.diagnose(Self.input(packet, firstHop: nil), trace))
        #expect(noHop.id == "docker-isolation-drop" && noHop.fix == nil)
    }

    @Test func towardsDocker0TheNetworkIsCalledBridge() throws {
        let packet = Self.echo(Self.db, Self.web)
        let drop = Self.step("DOCKER-ISOLATION-STAGE-2", 32, "oifname \"docker0\" counter drop", .drop)
        let trace = Self.path(packet, [drop], iif: Self.userBridge, oif: Self.docker0Index)
        let d = try #require(try Self.diagnose(Self.input(packet, firstHop: CapturePoint(netns: Self.dbContainer, iface: "eth0")), trace))
        #expect(d.fix == "docker network connect bridge \(Self.dbContainer)")
        #expect(d.reason.contains(" from br-0123456789ab to docker0: "))
    }

    @Test func anOutputInterfaceTheTopologyDoesNotKnowGivesNoNetwork() throws {
        let packet = Self.echo(Self.web, Self.db)
        let trace = Self.path(packet, [Self.stage2Drop], oif: 99)
        let d = try #require(try Self.diagnose(Self.input(packet), trace))
        #expect(d.id == "docker-isolation-drop")
        #expect(d.fix == nil)
        #expect(d.reason.contains("counter drop from docker0: Docker isolates"))
    }

    // MARK: - DOCKER (an unpublished port)

    @Test func aPolicyDropAfterTheDockerChainSaysThePortIsNotPublished() throws {
        let packet = Self.tcp(Self.remote, Self.web, dport: 80)
        let jumpDocker = Self.step("FORWARD", 10, "oifname \"docker0\" counter jump DOCKER", .jump("DOCKER"))
        let trace = Self.path(packet, [Self.jumpUser, Self.step("DOCKER-USER", 12, "counter return", .return), jumpDocker,
                                       Self.step("FORWARD", nil, nil, .drop, kind: .policy)], iif: Self.uplink, oif: Self.docker0Index)
        let d = try #require(try Self.diagnose(Self.input(packet, firstHop: nil), trace))
        #expect(d.id == "docker-unpublished")
        #expect(d.reason == "dropped in htdkhost by ip filter FORWARD policy drop: Docker's DOCKER chain has no accept for 172.17.0.2:80 on docker0, so the port is not published; Docker lets in only published ports: publish the port (docker run -p HOSTPORT:80 …) and connect to the host's address, rather than opening FORWARD")
        #expect(d.fix == nil && d.evidence == .traced)
        // Without the jump into DOCKER (a plain FORWARD policy drop) it is not Docker's word.
        let plain = Self.path(packet, [Self.step("FORWARD", nil, nil, .drop, kind: .policy)], iif: Self.uplink, oif: Self.docker0Index)
        #expect(DockerUnpublishedDropRule().diagnose(try Self.context(Self.input(packet, firstHop: nil), plain)) == nil)
    }

    // MARK: - Not Docker's chains

    @Test func aForwardDropIsNotTakenByTheDockerRules() throws {
        let packet = Self.echo(Self.web, Self.remote)
        let input = Self.input(packet)
        let policy = Self.path(packet, [Self.jumpUser, Self.step("DOCKER-USER", 12, "counter return", .return),
                                        Self.step("FORWARD", nil, nil, .drop, kind: .policy)])
        let pc = try Self.context(input, policy)
        #expect(DockerUserDropRule().diagnose(pc) == nil)
        #expect(DockerIsolationDropRule().diagnose(pc) == nil)
        let d = try #require(try Self.diagnose(input, policy))
        #expect(d.id == "forward-drop")
        #expect(d.reason == "dropped in htdkhost by ip filter FORWARD policy drop: no rule in FORWARD accepts it from docker0 to eth0")
        #expect(d.fix == "ip netns exec htdkhost iptables -A FORWARD -i docker0 '!' -o docker0 -j ACCEPT")

        // A rule in FORWARD itself, after DOCKER-USER returned.
        let rule = Self.path(packet, [Self.jumpUser, Self.step("DOCKER-USER", 12, "counter return", .return),
                                      Self.step("FORWARD", 40, "ip daddr 172.31.45.174 counter drop", .drop)])
        let r = try #require(try Self.diagnose(input, rule))
        #expect(r.id == "forward-drop")
        #expect(r.fix == "ip netns exec htdkhost nft delete rule ip filter FORWARD handle 40")
        #expect(r.reason == "dropped in htdkhost by ip filter FORWARD rule handle 40: ip daddr 172.31.45.174 counter drop from docker0 to eth0")
    }

    @Test func aChainMerelyNamedLikeDockersIsNotIt() throws {
        // Only DOCKER-USER itself is the user's chain; DOCKER (Docker's DNAT/accept chain) is not.
        let packet = Self.echo(Self.web, Self.remote)
        let trace = Self.path(packet, [Self.step("DOCKER", 50, "counter drop", .drop)])
        let d = try #require(try Self.diagnose(Self.input(packet), trace))
        #expect(d.id == "traced-drop")
    }
}
