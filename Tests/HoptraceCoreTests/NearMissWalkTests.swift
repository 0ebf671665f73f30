import Foundation
@testable import HoptraceCore
import Testing

/// How the walk follows nft's semantics, how a near miss is chosen and written back as a
/// rule, and the reading of nft's rule texts (Tests/Fixtures/nearmiss).
@Suite struct NearMissWalkTests {
    typealias F = NearMissFixtures
    static let second = ChainRef(family: .ip, table: "second", chain: "forward")

    static func udp(_ src: String, _ dst: String, dport: UInt16) -> RulePacket {
        RulePacket(saddr: F.ip(src), daddr: F.ip(dst), l4proto: IPProtocol.udp, sport: 40000, dport: dport,
                   iifname: "eth1", oifname: "eth0", ctState: .new)
    }

    /// Two base chains on forward: `inet first` (priority -10) accepts, and `ip second` (+10)
    /// still runs: jump to checks, `return`, then goto final, whose accept decides.
    @Test func anAcceptLetsTheNextBaseChainRunAndJumpsReturn() throws {
        let e = RuleEvaluator.evaluate(ruleset: try F.ruleset("verdicts"), hook: "forward", type: "filter",
                                       packet: Self.udp("10.0.0.7", "10.0.0.2", dport: 53))
        #expect(e.baseChains == [ChainRef(family: .inet, table: "first", chain: "forward"), Self.second])
        #expect(e.steps.map { "\($0.chain.table) \($0.chain.chain) \($0.handle)" }
                == ["first forward 2", "first forward 3", "second forward 8", "second checks 4", "second checks 5",
                    "second forward 9", "second final 7"])
        #expect(e.decision?.source == .rule(ChainRef(family: .ip, table: "second", chain: "final"), handle: 7))
        #expect(e.decision?.baseChain == Self.second)
        #expect(e.isCertain)
    }

    /// A goto'd chain that ends does not come back: the base chain ends with it, its policy applies,
    /// and the `accept` after the goto is never reached.
    @Test func aGotoDoesNotComeBack() throws {
        let e = RuleEvaluator.evaluate(ruleset: try F.ruleset("verdicts"), hook: "forward", type: "filter",
                                       packet: Self.udp("10.9.0.1", "10.0.0.2", dport: 53))
        #expect(e.decision?.source == .policy(Self.second))
        #expect(e.decision?.verdict.kind == .drop)
        #expect(!e.steps.contains { $0.handle == 10 })
    }

    /// A reject in a jumped-to chain is final. The near miss for an accept is sought only in
    /// the base chain that rejected: `first`'s `ip daddr 10.0.0.2 accept` would not have saved it.
    @Test func aRejectIsFinalAndOtherBaseChainsOfferNoNearMiss() throws {
        var ssh = F.tcp("10.0.0.7", "8.8.8.8", dport: 22)
        let e = RuleEvaluator.evaluate(ruleset: try F.ruleset("verdicts"), hook: "forward", type: "filter", packet: ssh)
        #expect(e.decision?.verdict == RuleVerdict(.reject, "with tcp reset"))
        #expect(e.decision?.source == .rule(ChainRef(family: .ip, table: "second", chain: "checks"), handle: 4))
        #expect(NearMissFinder.closest(in: e, kinds: [.accept]) == nil)
        ssh.dport = 23
        let telnet = RuleEvaluator.evaluate(ruleset: try F.ruleset("verdicts"), hook: "forward", type: "filter", packet: ssh)
        #expect(telnet.decision?.verdict.kind == .drop)
    }

    /// nat: snat for `eth*` (nft's wildcard) while the packet leaves enX0; redirect behind `fib daddr type local`.
    @Test func natVerdictsAndTheirArguments() throws {
        let rs = try F.ruleset("verdicts")
        let out = RuleEvaluator.evaluate(ruleset: rs, hook: "postrouting", type: "nat", packet: F.tcp("10.0.0.7", "8.8.8.8", dport: 443))
        let nm = try #require(NearMissFinder.closest(in: out, kinds: [.snat, .masquerade]))
        #expect(nm.verdict == RuleVerdict(.snat, "to 192.0.2.1"))
        #expect(nm.differences.map { [$0.field, $0.ruleValue, $0.packetValue] } == [["oifname", "eth*", "enX0"]])
        #expect(nm.correctedRule == "oifname \"enX0\" ip saddr 10.0.0.0/24 snat to 192.0.2.1")
        var eth = F.tcp("10.0.0.7", "8.8.8.8", dport: 443)
        eth.oifname = "eth7"
        #expect(RuleEvaluator.evaluate(ruleset: rs, hook: "postrouting", type: "nat", packet: eth).decision?.verdict
                == RuleVerdict(.snat, "to 192.0.2.1"))
        let redirected = RuleEvaluator.evaluate(ruleset: rs, hook: "prerouting", type: "nat",
                                                packet: F.tcp("192.0.2.9", "192.0.2.1", dport: 9003, oif: nil, local: true))
        #expect(redirected.decision?.verdict == RuleVerdict(.redirect, "to :80"))
        // Only the chains of the type asked for: no nat chain at forward, no filter chain here.
        #expect(RuleEvaluator.evaluate(ruleset: rs, hook: "forward", type: "nat", packet: eth).decision == nil)
    }

    /// An IPv6 packet sees inet and ip6 tables, not ip ones.
    @Test func familiesSeeTheirTables() throws {
        let v6 = RulePacket(saddr: F.ip("fd00::7"), daddr: F.ip("fd00::2"), l4proto: IPProtocol.udp, dport: 53,
                            iifname: "eth1", oifname: "eth0")
        let e = RuleEvaluator.evaluate(ruleset: try F.ruleset("verdicts"), hook: "forward", type: "filter", packet: v6)
        #expect(e.baseChains == [ChainRef(family: .inet, table: "first", chain: "forward")])
        #expect(e.decision?.source == .policy(ChainRef(family: .inet, table: "first", chain: "forward")))
    }

    /// Three accepts one field away: the one with more matching fields wins a tie, then the earliest.
    @Test func tiesGoToTheRuleThatMatchesMoreThenToTheEarliest() throws {
        let rs = try F.ruleset("ties")
        func closest(_ p: RulePacket) -> UInt64? {
            NearMissFinder.closest(in: RuleEvaluator.evaluate(ruleset: rs, hook: "forward", type: "filter", packet: p),
                                   kinds: [.accept])?.handle
        }
        // lo, the subnet rule and the daddr rule each differ in one field; the subnet rule's oifname matches.
        #expect(closest(F.tcp("10.0.0.2", "8.8.8.8", dport: 80, iif: "eth1", oif: "enX0")) == 3)
        #expect(closest(F.tcp("10.0.1.5", "8.8.8.8", dport: 80, iif: "eth1", oif: "eth2")) == 3)
        // The subnet rule differs in two: lo and daddr tie, lo is first.
        #expect(closest(F.tcp("10.5.5.5", "8.8.8.8", dport: 80, iif: "eth1", oif: "eth2")) == 2)
    }

    /// A protocol near miss writes the header anew (`tcp dport` → `udp dport`); a packet with
    /// no ports differs in two fields and cannot be written into a port rule.
    @Test func correctingTheProtocolRewritesTheHeader() throws {
        let rs = try F.ruleset("forward-port")
        let dns = RuleEvaluator.evaluate(ruleset: rs, hook: "forward", type: "filter", packet: Self.udp("10.0.0.2", "10.0.1.5", dport: 8080))
        let nm = try #require(NearMissFinder.closest(in: dns, kinds: [.accept]))
        #expect(nm.differences.map { [$0.field, $0.ruleValue, $0.packetValue] } == [["meta l4proto", "tcp", "udp"]])
        #expect(nm.correctedRule == "udp dport 8080 accept")
        let ping = RulePacket(saddr: F.ip("10.0.0.2"), daddr: F.ip("10.0.1.5"), l4proto: IPProtocol.icmp, icmpType: 8,
                              iifname: "eth1", oifname: "eth0", ctState: .new)
        let icmp = RuleEvaluator.evaluate(ruleset: rs, hook: "forward", type: "filter", packet: ping)
        let far = try #require(NearMissFinder.closest(in: icmp, kinds: [.accept]))
        #expect(far.differences.map { [$0.field, $0.packetValue] } == [["meta l4proto", "icmp"], ["tcp dport", "none"]])
        #expect(far.correctedRule == nil)
    }

    /// Corrections by kind of value, on match-kinds' rules (their comments kept).
    @Test func correctionsByKindOfValue() throws {
        let rs = try F.ruleset("match-kinds")
        let b = NearMissMatchKindTests.b
        var a = NearMissMatchKindTests.a
        a.dport = 8080
        func corrected(_ name: String, _ p: RulePacket) -> String? {
            let e = RuleEvaluator.evaluate(ruleset: rs, hook: "forward", type: "filter", packet: p)
            guard let step = e.steps.first(where: { $0.comment == name }) else { return "no such rule" }
            return RuleRendering.corrected(step.evaluation, fields: step.evaluation.differences, packet: p, comment: step.comment)
        }
        #expect(corrected("tcp dport set", a) == "tcp dport { 80, 443, 8080 } counter comment \"tcp dport set\"")
        #expect(corrected("daddr prefix", a) == "ip daddr 10.0.0.0/24 counter comment \"daddr prefix\"")
        #expect(corrected("daddr range", b) == "ip daddr 10.0.1.9 counter comment \"daddr range\"")
        #expect(corrected("iifname wildcard", b) == "iifname \"eth0\" counter comment \"iifname wildcard\"")
        #expect(corrected("ct state", b) == "ct state established,related,new counter comment \"ct state\"")
        #expect(corrected("mark", b) == "meta mark 0x00000018 counter comment \"mark\"")
        #expect(corrected("saddr set", a) == "ip saddr { 10.0.0.1, 10.0.2.0/24, 10.0.0.2 } counter comment \"saddr set\"")
        // Not a plain edit: a negation, a named set, whether an address is local, the ct status.
        #expect(corrected("oifname not", b) == nil)
        #expect(corrected("saddr named set", a) == nil)
        #expect(corrected("fib daddr local", a) == nil)
        #expect(corrected("ct status", b) == nil)
    }

    /// Every rule of every fixture that hoptrace models prints back as nft printed it: the
    /// corrected rule is in nft's own syntax.
    @Test func modeledRulesPrintAsNftPrintsThem() throws {
        let names = ["lab-masquerade", "forward-port", "dnat-port", "forward-subnet", "named-set", "iptables-docker",
                     "unmodeled", "match-kinds", "verdicts", "ties"]
        let anyPacket = F.tcp("10.0.0.2", "10.0.0.3", dport: 80)
        var compared = 0
        for name in names {
            let rs = try F.ruleset(name)
            for chain in rs.chains {
                for rule in chain.rules {
                    let text = try #require(rule.text, "\(name) \(chain.name) \(rule.handle) has its listing")
                    let e = RuleEvaluator.evaluate(rule: rule, in: chain, ruleset: rs, packet: anyPacket)
                    guard let printed = RuleRendering.text(e.statements, comment: rule.comment) else { continue }
                    #expect(printed == text, "\(name) \(chain.name) handle \(rule.handle)")
                    compared += 1
                }
            }
        }
        #expect(compared >= 60)
    }

    // MARK: - nft's text of a rule (iptables-nft's xt matches)

    static func parse(_ text: String) throws -> [RuleStatement]? {
        let context = RuleContext(ruleset: try F.ruleset("named-set"), family: .inet, table: "filter")
        return RuleTextParser.statements(text, context: context)
    }

    @Test func textsReadAsTheJSONWouldBe() throws {
        let dnat = try #require(try Self.parse("iifname != \"docker0\" tcp dport 8000 counter dnat to 172.17.0.2:80"))
        #expect(dnat == [
            .test(RuleTest(field: .iifname, label: "iifname", op: .ne, value: .name("docker0"))),
            .test(RuleTest(field: .l4proto, label: "meta l4proto", op: .eq, value: .number(6), isImplied: true)),
            .test(RuleTest(field: .dport, label: "tcp dport", op: .eq, value: .number(8000))),
            .noEffect("counter"),
            .verdict(RuleVerdict(.dnat, "to 172.17.0.2:80")),
        ])
        let state = try #require(try Self.parse("oifname \"docker0\" ct state related,established counter packets 7 bytes 508 accept"))
        #expect(state.contains(.test(RuleTest(field: .ctState, label: "ct state", op: .anyOf, value: .flags(["related", "established"])))))
        let fib = try #require(try Self.parse("fib daddr type local counter jump DOCKER"))
        #expect(fib == [.test(RuleTest(field: .daddrType, label: "fib daddr type", op: .eq, value: .name("local"))),
                        .noEffect("counter"), .verdict(RuleVerdict(.jump, "DOCKER"))])
        let multiport = try #require(try Self.parse("meta l4proto tcp tcp dport { 80, 443 } counter accept"))
        #expect(multiport.count == 4, "the explicit protocol test stands for the implied one")
        let set = try #require(try Self.parse("ip saddr @allowed log prefix \"a \\\"b\\\"\" accept comment \"x\""))
        guard case .test(let lookup) = set[0], case .namedSet("allowed", let elements?) = lookup.value else {
            Issue.record("the set's elements are read from the dump")
            return
        }
        #expect(elements.count == 3)
        // nft strings have no escapes: a prefix holding a quote is read, but cannot be written back.
        #expect(set[1] == .noEffect(nil))
        #expect(set[3] == .noEffect(""))
    }

    /// All or nothing: a word outside the model makes the text unreadable.
    @Test func untranslatedTextsAreNotRead() throws {
        for text in ["tcp dport 8080 xt match recent counter accept", "fib daddr . iif type local counter jump DOCKER",
                     "limit rate 5/second accept", "ip ttl 1 drop", "ct mark 0x00000001 accept", "iifname \"eth0",
                     "tcp dport { 80, 443 accept", "meta skuid 0 accept"] {
            #expect(try Self.parse(text) == nil, "\(text)")
        }
    }
}
