import HoptraceCore
import Testing

/// Each diagnosis rule on its own, with the lab's topology (Tests/Fixtures/topology/lab-s2) and
/// the real traces captured in the lab (Tests/Fixtures/nftrace).
@Suite struct DiagnosisTests {
    static func ip(_ s: String) -> IPAddress { .v4(IPv4Address(s)!) }
    static let ns1 = ip("172.18.0.3"), ns0 = ip("172.18.0.2"), remote = ip("172.31.45.174"), hostUp = ip("172.31.39.53")
    static let docker1 = CapturePoint(netns: "hthost", iface: "docker1"), enX0 = CapturePoint(netns: "hthost", iface: "enX0")
    static let veth1 = CapturePoint(netns: "hthost", iface: "veth1"), veth0 = CapturePoint(netns: "hthost", iface: "veth0")
    static let echo = FlowKey(proto: 1, src: ns1, dst: remote, sport: 7, dport: 7)
    static let echoReply = FlowKey(proto: 1, src: remote, dst: hostUp, sport: 7, dport: 7)
    static let hostFacts = NamespaceFacts(netns: "hthost", ipForward: true, rpFilter: ["all": 0, "enX0": 0, "docker1": 0],
                                          bridgeNFCallIptables: true, conntrackCount: 3, conntrackMax: 65536, iptablesBackend: .nft)

    static func vanished(_ leg: Journey.Leg = .request, at: CapturePoint = docker1, next: CapturePoint = enX0,
                         orig: FlowKey = echo, reply: FlowKey? = nil, conntrack: Bool = false, hops: [Hop] = []) -> DiagnosisInput {
        DiagnosisInput(proto: orig.proto, echo: orig.proto == 1, orig: orig, reply: reply,
                       verdict: Verdict(.vanished, at: at, reason: "vanished after \(at), before \(next)"),
                       failedLeg: leg, failedHops: hops, lastSeen: at, nextExpected: next, requestHops: leg == .request ? hops : [],
                       conntrackSeen: conntrack)
    }

    static func context(_ input: DiagnosisInput, traces: [RulePath] = [], facts: [NamespaceFacts] = [hostFacts], s6: Bool = false) throws -> DiagnosisContext {
        DiagnosisContext(input: input, topology: try LabTopology.topology(s6: s6), traces: traces, facts: FactsBook(facts))
    }

    static func traced(_ fixture: String, _ ruleset: String) throws -> [RulePath] {
        try NFTraceFixtures.paths(fixture, ruleset: ruleset, netns: "hthost")
    }

    /// Every fix and alternative enters the namespace it is about (issue 14): pasted on the
    /// host, it never changes the host's own rules. And it is plain quoted words.
    static func expectInNamespace(_ d: Diagnosis, _ netns: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let commands = (d.fix.map { [$0] } ?? []) + d.alternatives
        #expect(!commands.isEmpty, "\(d.id) suggests no command", sourceLocation: sourceLocation)
        for text in commands {
            let words = posixWords(text) ?? []
            #expect(!words.isEmpty, "not quoted words: \(text)", sourceLocation: sourceLocation)
            let entered = words.starts(with: ["ip", "netns", "exec", netns]) || words.starts(with: ["ip", "-n", netns])
                || words.first == "nsenter" && words.dropFirst().first == "--net=" + netns
            #expect(entered, "\(text) does not run in \(netns)", sourceLocation: sourceLocation)
        }
    }

    // MARK: traced

    @Test func forwardPolicyDropNamesThePolicyAndDockersRule() throws {
        let c = try Self.context(Self.vanished(), traces: Self.traced("s3-forward-policy-drop", "ruleset-s3"))
        let d = try #require(ForwardDropRule().diagnose(c))
        #expect(d.rule == "ip filter FORWARD policy drop")
        #expect(d.reason == "dropped in hthost by ip filter FORWARD policy drop: no rule in FORWARD accepts it from docker1 to enX0")
        #expect(d.fix == "ip netns exec hthost iptables -A FORWARD -i docker1 '!' -o docker1 -j ACCEPT")
        Self.expectInNamespace(d, "hthost")
        #expect(d.evidence == .traced)
    }

    @Test func rejectRuleIsNamedAndTiedToTheICMPError() throws {
        var input = Self.vanished()
        input.lastError = (3, 3, Self.ip("172.18.0.1"), Self.docker1)
        let c = try Self.context(input, traces: Self.traced("s3-forward-reject", "ruleset-reject"))
        let d = try #require(ForwardDropRule().diagnose(c))
        #expect(d.id == "forward-reject")
        #expect(d.rule == "ip filter FORWARD rule handle 4: meta l4proto icmp counter reject")
        #expect(d.reason == "rejected in hthost by ip filter FORWARD rule handle 4: meta l4proto icmp counter reject; the ICMP port unreachable from 172.18.0.1 is that rule's answer")
        #expect(d.fix == "ip netns exec hthost nft delete rule ip filter FORWARD handle 4")
        Self.expectInNamespace(d, "hthost")
    }

    @Test func replyDroppedInForwardPointsAtTheReturnRule() throws {
        let traces = try Self.traced("s4-reply-policy-drop", "ruleset-s4")
        let request = try #require(traces.first { !$0.dropped }?.firstKey), reply = try #require(traces.first(where: \.dropped)?.firstKey)
        let input = Self.vanished(.reply, at: Self.enX0, next: Self.docker1, orig: request, reply: reply, conntrack: true)
        let c = try Self.context(input, traces: traces)
        #expect(ForwardDropRule().diagnose(c) != nil, "ForwardDropRule would also match: precedence decides")
        let d = try #require(ReplyForwardDropRule().diagnose(c))
        #expect(d.rule == "ip filter FORWARD policy drop")
        #expect(d.reason == "reply dropped in hthost by ip filter FORWARD policy drop: the request went out, but nothing in FORWARD accepts RELATED,ESTABLISHED traffic towards docker1")
        #expect(d.fix == "ip netns exec hthost iptables -A FORWARD -o docker1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
        Self.expectInNamespace(d, "hthost")
        #expect(Diagnoser.diagnose(input, topology: c.topology, traces: c.traces, facts: c.facts)?.id == "reply-forward-drop")
    }

    @Test func bridgedDropMentionsTheSysctlAndBothFixes() throws {
        let orig = FlowKey(proto: 1, src: Self.ns1, dst: Self.ns0, sport: 9, dport: 9)
        let input = Self.vanished(at: Self.veth1, next: Self.veth0, orig: orig)
        let c = try Self.context(input, traces: Self.traced("s5-bridged-policy-drop", "ruleset-s3"))
        let d = try #require(BridgedForwardDropRule().diagnose(c))
        #expect(d.rule == "ip filter FORWARD policy drop")
        #expect(d.reason.hasPrefix("dropped in hthost while bridged between ports of docker1 by ip filter FORWARD policy drop: bridged traffic is filtered by iptables because net.bridge.bridge-nf-call-iptables=1"))
        #expect(d.fix == "ip netns exec hthost iptables -A FORWARD -i docker1 -o docker1 -j ACCEPT")
        #expect(d.alternatives == ["ip netns exec hthost sysctl -w net.bridge.bridge-nf-call-iptables=0"])
        Self.expectInNamespace(d, "hthost")
        // Not bridged: S3's flow to the remote is not this rule's.
        let s3 = try Self.context(Self.vanished(), traces: Self.traced("s3-forward-policy-drop", "ruleset-s3"))
        #expect(BridgedForwardDropRule().diagnose(s3) == nil)
    }

    @Test func dropInAnotherChainIsNamed() throws {
        let step = RuleStep(family: .inet, table: "fw", chain: "input", kind: .rule, handle: 12, ruleText: "tcp dport 22 drop", verdict: .drop)
        let path = RulePath(netns: "hthost", packets: [], steps: [step])
        let c = try Self.context(Self.vanished(), traces: [path])
        #expect(ForwardDropRule().diagnose(c) == nil)
        let d = try #require(TracedDropRule().diagnose(c))
        #expect(d.reason == "dropped in hthost by inet fw input rule handle 12: tcp dport 22 drop")
        #expect(d.fix == "ip netns exec hthost nft delete rule inet fw input handle 12")
        Self.expectInNamespace(d, "hthost")
    }

    @Test func acceptedTraceIsNoDrop() throws {
        let c = try Self.context(Self.vanished(), traces: Self.traced("s2-accept", "ruleset-s2"))
        #expect(c.droppedTrace == nil)
        #expect(TracedDropRule().diagnose(c) == nil)
    }

    // MARK: inferred and facts

    @Test func noRouteInTheSourceNamespace() throws {
        let google = FlowKey(proto: 1, src: Self.ns1, dst: Self.ip("8.8.8.8"), sport: 1, dport: 1)
        let c = try Self.context(Self.vanished(orig: google), s6: true)
        let d = try #require(PathProblemRule().diagnose(c))
        #expect(d.id == "no-route")
        #expect(d.reason.hasPrefix("htns1 has no route to 8.8.8.8"))
        #expect(d.fix == "ip -n htns1 route add default via 172.18.0.1")
        Self.expectInNamespace(d, "htns1")
        // Read from the routing table, not traced: no nftables trace saw the packet die.
        #expect(d.evidence == .inferred)
        let unsent = try #require(Diagnoser.diagnoseUnsent(from: "htns1", to: Self.ip("8.8.8.8"), topology: LabTopology.topology(s6: true)))
        #expect(unsent == d)
        // With ns1's default route back (S2), the packet gets as far as hthost, which has none:
        // and no gateway is guessed for it.
        let s2 = try #require(PathProblemRule().diagnose(try Self.context(Self.vanished(orig: google))))
        #expect(s2.reason.hasPrefix("hthost has no route to 8.8.8.8"))
        #expect(s2.fix == nil)
    }

    @Test func ipForwardOff() throws {
        var facts = Self.hostFacts
        facts.ipForward = false
        let d = try #require(IPForwardRule().diagnose(try Self.context(Self.vanished(), facts: [facts])))
        #expect(d.reason == "hthost has net.ipv4.ip_forward=0: it does not forward from docker1 to enX0")
        #expect(d.fix == "ip netns exec hthost sysctl -w net.ipv4.ip_forward=1")
        Self.expectInNamespace(d, "hthost")
        #expect(d.evidence == .inferred)
        #expect(IPForwardRule().diagnose(try Self.context(Self.vanished())) == nil)
    }

    @Test func conntrackTableFull() throws {
        var facts = Self.hostFacts
        facts.conntrackCount = 65536
        let d = try #require(ConntrackFullRule().diagnose(try Self.context(Self.vanished(), facts: [facts])))
        #expect(d.reason.hasPrefix("likely dropped because hthost's conntrack table is full (65536 of 65536 entries)"))
        #expect(d.reason.hasSuffix("; the limit is the machine's net.netfilter.nf_conntrack_max (read-only inside a namespace), so it is raised on the host"))
        // Machine-wide: inside hthost the sysctl is read-only, so the command runs on the host.
        #expect(d.fix == "sysctl -w net.netfilter.nf_conntrack_max=131072")
        #expect(d.evidence == .inferred)
        #expect(ConntrackFullRule().diagnose(try Self.context(Self.vanished(conntrack: true), facts: [facts])) == nil)
    }

    @Test func reversePathFilter() throws {
        // A packet from the containers' subnet arriving on the uplink: its source routes back via docker1.
        let spoofed = Hop(point: Self.enX0, dir: .inbound, time: EventTime(micros: 0), src: Self.ip("172.18.0.50"), dst: Self.remote)
        let input = Self.vanished(at: Self.enX0, next: Self.docker1, hops: [spoofed])
        var facts = Self.hostFacts
        facts.rpFilter["all"] = 1
        let d = try #require(ReversePathFilterRule().diagnose(try Self.context(input, facts: [facts])))
        #expect(d.reason == "likely dropped by reverse-path filtering in hthost: rp_filter=1 on enX0 and 172.18.0.50 is routed back via docker1, not enX0")
        #expect(d.fix == "ip netns exec hthost sysctl -w net.ipv4.conf.all.rp_filter=2")
        Self.expectInNamespace(d, "hthost")
        #expect(ReversePathFilterRule().diagnose(try Self.context(input)) == nil, "rp_filter=0")
    }

    @Test func icmpErrorFromARouterIsLikelyAReject() throws {
        var input = Self.vanished()
        input.verdict = Verdict(.icmpError, at: Self.docker1, reason: "ICMP port unreachable from 172.18.0.1")
        input.lastError = (3, 3, Self.ip("172.18.0.1"), Self.docker1)
        let d = try #require(ICMPErrorRule().diagnose(try Self.context(input)))
        #expect(d.reason == "ICMP port unreachable from 172.18.0.1, which is not the destination: likely a REJECT rule in hthost (iptables' default answer is port unreachable)")
        #expect(d.evidence == .inferred)
        input.lastError = (3, 3, Self.remote, Self.docker1)
        input.proto = 17
        input.orig = FlowKey(proto: 17, src: Self.ns1, dst: Self.remote, sport: 5000, dport: 53)
        #expect(ICMPErrorRule().diagnose(try Self.context(input))?.reason
                == "172.31.45.174 answered ICMP port unreachable: nothing listens on port 53 there (or a REJECT rule there says so)")
    }

    @Test func aTTLExceededIsSaidWhereItRanOut() throws {
        var input = Self.vanished(hops: [Hop(point: CapturePoint(netns: "htns1", iface: "eth0"), dir: .outbound, time: EventTime(micros: 0),
                                             src: Self.ns1, dst: Self.remote, ttl: 1)])
        input.verdict = Verdict(.icmpError, at: Self.docker1, reason: "ICMP TTL exceeded in transit from 172.18.0.1")
        input.lastError = (11, 0, Self.ip("172.18.0.1"), Self.docker1)
        let d = try #require(Diagnoser.diagnose(input, topology: try LabTopology.topology(s6: false), traces: [], facts: FactsBook([Self.hostFacts])))
        #expect(d.id == "ttl-exceeded")
        #expect(d.reason == "the request's TTL ran out in hthost, which dropped it and answered ICMP TTL exceeded in transit (sent with TTL 1 from htns1): the sender's TTL is too low for the path, or the path loops")
        #expect(d.evidence == .inferred && d.fix == nil)
        // A reassembly timeout (code 1) is no TTL expiry.
        input.lastError = (11, 1, Self.ip("172.18.0.1"), Self.docker1)
        #expect(TTLExceededRule().diagnose(try Self.context(input)) == nil)
    }

    @Test func fragmentationNeededIsSaidWithTheRouterThatAnswered() throws {
        var input = Self.vanished()
        input.verdict = Verdict(.icmpError, at: Self.docker1, reason: "ICMP fragmentation needed from 172.18.0.1")
        input.lastError = (3, 4, Self.ip("172.18.0.1"), Self.docker1)
        let d = try #require(Diagnoser.diagnose(input, topology: try LabTopology.topology(s6: false), traces: [], facts: FactsBook([Self.hostFacts])))
        #expect(d.id == "fragmentation-needed")
        #expect(d.reason == "the request was too big for the next link in hthost with Don't Fragment set: it was dropped and 172.18.0.1 answered ICMP fragmentation needed; the sender must send smaller packets (its path MTU), or the link's MTU is lower than the rest of the path")
        // Port unreachable is another rule's.
        input.lastError = (3, 3, Self.ip("172.18.0.1"), Self.docker1)
        #expect(FragmentationNeededRule().diagnose(try Self.context(input)) == nil)
    }

    @Test func replyVanishedWithoutTraceIsLikelyTheReturnRule() throws {
        let input = Self.vanished(.reply, at: Self.enX0, next: Self.docker1, reply: Self.echoReply, conntrack: true)
        let d = try #require(ReplyVanishedRule().diagnose(try Self.context(input)))
        #expect(d.reason.hasPrefix("reply likely dropped in FORWARD in hthost: seen on enX0, never on docker1"))
        #expect(d.fix == "ip netns exec hthost iptables -A FORWARD -o docker1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
        Self.expectInNamespace(d, "hthost")
        #expect(d.evidence == .inferred)
    }

    @Test func untranslatedPrivateSourceIsLikelyMissingMasquerade() throws {
        let out = Hop(point: Self.enX0, dir: .outbound, time: EventTime(micros: 0), src: Self.ns1, dst: Self.remote)
        var input = Self.vanished(hops: [out])
        input.verdict = Verdict(.unreplied, at: Self.enX0, reason: "no reply")
        let d = try #require(UntranslatedSourceRule().diagnose(try Self.context(input)))
        #expect(d.fix == "ip netns exec hthost iptables -t nat -A POSTROUTING -s 172.18.0.0/24 '!' -o docker1 -j MASQUERADE")
        Self.expectInNamespace(d, "hthost")
        #expect(d.reason == "172.18.0.3 left hthost:enX0 untranslated and no reply came: the far side has no route back to a private address; likely missing MASQUERADE")
        input.nat = [NATRewrite(kind: .snat, field: .src, from: "172.18.0.3", to: "172.31.39.53")]
        #expect(UntranslatedSourceRule().diagnose(try Self.context(input)) == nil)
    }

    @Test func untracedForwardLossSaysLikelyAndWhyNoEvidence() throws {
        var facts = Self.hostFacts
        facts.iptablesBackend = .legacy
        let d = try #require(ForwardVanishedRule().diagnose(try Self.context(Self.vanished(), facts: [facts])))
        #expect(d.reason.hasPrefix("likely dropped by netfilter in hthost while forwarding from docker1 to enX0"))
        #expect(d.reason.contains("iptables-legacy: its rules are invisible to nftables tracing, so rule-level evidence is not available"))
        #expect(d.fix == nil)
    }

    // MARK: Diagnoser

    @Test func tracedEvidenceWinsAndHealthyFlowsGetNothing() throws {
        let traces = try Self.traced("s3-forward-policy-drop", "ruleset-s3")
        let topo = try LabTopology.topology()
        let book = FactsBook([Self.hostFacts])
        let mine = Self.vanished(orig: try #require(traces.first?.firstKey))
        #expect(Diagnoser.diagnose(mine, topology: topo, traces: traces, facts: book)?.id == "forward-drop")
        #expect(Diagnoser.diagnose(Self.vanished(), topology: topo, traces: [], facts: book)?.id == "forward-vanished")
        var ok = Self.vanished()
        ok.failedLeg = nil
        ok.verdict = Verdict(.replied, at: Self.docker1, reason: "reply reached")
        #expect(Diagnoser.diagnose(ok, topology: topo, traces: traces, facts: book) == nil)
        // Traces of other packets are not this flow's evidence.
        let other = FlowKey(proto: 1, src: Self.ns0, dst: Self.remote, sport: 1, dport: 1)
        #expect(Diagnoser.traces(for: Self.vanished(orig: other), in: traces).isEmpty)
        #expect(Diagnoser.traces(for: Self.vanished(orig: traces[0].firstKey!), in: traces).count == 1)
    }
}

@Suite struct NamespaceFactsTests {
    @Test func parsing() {
        #expect(NamespaceFacts.parseInt("1\n") == 1)
        #expect(NamespaceFacts.parseInt("x") == nil)
        #expect(NamespaceFacts.parseBackend("iptables v1.8.9 (nf_tables)\n") == .nft)
        #expect(NamespaceFacts.parseBackend("iptables v1.8.7 (legacy)\n") == .legacy)
        #expect(NamespaceFacts.parseBackend(nil) == .absent)
        let f = NamespaceFacts(netns: "n", rpFilter: ["all": 2, "eth0": 1], conntrackCount: 5, conntrackMax: 5)
        #expect(f.effectiveRPFilter("eth0") == 2)
        #expect(f.effectiveRPFilter("eth9") == 2)
        #expect(f.conntrackFull)
    }
}
