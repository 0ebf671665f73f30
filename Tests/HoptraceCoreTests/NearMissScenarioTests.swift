import Foundation
import HoptraceCore
import Testing

/// Real `nft -j list ruleset` dumps (Tests/Fixtures/nearmiss, see its README and capture.sh),
/// with the `nft -a -s list chain` texts captured beside them for iptables-nft's chains.
enum NearMissFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// The dump of Fixtures/`folder`/`name`.json; with `texts`, each chain's captured listing read as
    /// `NFTRuleset.loadRuleTexts` would.
    static func ruleset(_ name: String, folder: String = "nearmiss", texts: Bool = true) throws -> NFTRuleset {
        let dir = directory.appendingPathComponent(folder)
        var rs = try NFTRuleset(json: Data(contentsOf: dir.appendingPathComponent(name + ".json")))
        guard texts else { return rs }
        for c in rs.chains {
            let file = dir.appendingPathComponent("\(name).chain.\(c.family).\(c.table).\(c.name).txt")
            guard let listing = try? String(contentsOf: file, encoding: .utf8) else { continue }
            rs.setRuleTexts(NFTListing.ruleTexts(in: listing), family: c.family, table: c.table, chain: c.name)
        }
        return rs
    }

    static func ip(_ s: String) -> IPAddress { IPAddress(s)! }

    static func tcp(_ src: String, _ dst: String, dport: UInt16, iif: String? = "eth1", oif: String? = "enX0",
                    state: CtState? = .new, local: Bool? = nil) -> RulePacket {
        RulePacket(saddr: ip(src), daddr: ip(dst), l4proto: IPProtocol.tcp, sport: 40000, dport: dport,
                   iifname: iif, oifname: oif, ctState: state, isLocalDestination: local)
    }
}

/// The issue's cases, each on a ruleset loaded into a namespace and dumped by nft.
@Suite struct NearMissScenarioTests {
    typealias F = NearMissFixtures

    /// (a) The lab's MASQUERADE written for eth0 while the packet leaves through enX0.
    @Test func masqueradeForTheWrongOutputInterface() throws {
        let ping = RulePacket(saddr: F.ip("172.18.0.3"), daddr: F.ip("1.1.1.1"), l4proto: IPProtocol.icmp, icmpType: 8,
                              iifname: "docker1", oifname: "enX0", ctState: .new)
        let e = RuleEvaluator.evaluate(ruleset: try F.ruleset("lab-masquerade"), hook: "postrouting", type: "nat", packet: ping)
        #expect(e.isCertain)
        #expect(e.decision?.verdict.kind == .accept)
        #expect(e.decision?.source == .policy(ChainRef(family: .ip, table: "nat", chain: "POSTROUTING")))
        let nm = try #require(NearMissFinder.closest(in: e, kinds: [.masquerade, .snat]))
        #expect(nm.chain == ChainRef(family: .ip, table: "nat", chain: "POSTROUTING"))
        #expect(nm.handle == 2)
        #expect(nm.verdict.kind == .masquerade)
        #expect(nm.differences.map(\.field) == ["oifname"])
        #expect(nm.differences.map(\.ruleValue) == ["eth0"])
        #expect(nm.differences.map(\.packetValue) == ["enX0"])
        #expect(nm.ruleText == "oifname \"eth0\" ip saddr 172.18.0.0/24 counter masquerade")
        #expect(nm.correctedRule == "oifname \"enX0\" ip saddr 172.18.0.0/24 counter masquerade")
        #expect(nm.isCertain)
    }

    /// iptables-nft's MASQUERADE is an xt target: without nft's text the kind is known, its
    /// arguments are not, so the near miss stands and no corrected rule is written.
    @Test func anXtTargetWithoutItsTextIsANearMissWithoutACorrection() throws {
        let ping = RulePacket(saddr: F.ip("172.18.0.3"), daddr: F.ip("1.1.1.1"), l4proto: IPProtocol.icmp, icmpType: 8,
                              iifname: "docker1", oifname: "enX0", ctState: .new)
        let rs = try F.ruleset("lab-masquerade", texts: false)
        #expect(RuleEvaluator.chainsAwaitingRuleTexts(in: rs).map(\.name) == ["POSTROUTING"])
        let e = RuleEvaluator.evaluate(ruleset: rs, hook: "postrouting", type: "nat", packet: ping)
        let nm = try #require(NearMissFinder.closest(in: e, kinds: [.masquerade]))
        #expect(nm.verdict == RuleVerdict(.masquerade, nil))
        #expect(nm.differences.map(\.field) == ["oifname"])
        #expect(nm.correctedRule == nil)
        #expect(RuleEvaluator.chainsAwaitingRuleTexts(in: try F.ruleset("lab-masquerade")).isEmpty)
    }

    /// (b) FORWARD policy drop, the ACCEPT is for 8080, the packet to 80. The state rule differs
    /// in one field too, and is earlier, but widening `ct state` is no fix: not a candidate.
    @Test func forwardAcceptForTheWrongPort() throws {
        let e = RuleEvaluator.evaluate(ruleset: try F.ruleset("forward-port"), hook: "forward", type: "filter",
                                       packet: F.tcp("10.0.0.2", "10.0.1.5", dport: 80))
        #expect(e.decision?.verdict.kind == .drop)
        #expect(e.decision?.source == .policy(ChainRef(family: .inet, table: "filter", chain: "forward")))
        #expect(e.steps.map(\.handle) == [2, 3])
        guard case .notMatched(let first) = e.steps[1].evaluation.outcome else {
            Issue.record("expected not matched")
            return
        }
        #expect(first.field == "tcp dport" && first.ruleValue == "8080" && first.packetValue == "80")
        let nm = try #require(NearMissFinder.closest(in: e, kinds: [.accept]))
        #expect(nm.handle == 3)
        #expect(nm.differences.map(\.field) == ["tcp dport"])
        #expect(nm.correctedRule == "tcp dport 80 accept")
    }

    /// The same with the conntrack state unknown: the state rule may have accepted the packet,
    /// so the drop is uncertain and no near miss is offered.
    @Test func anUnknownStateMakesTheVerdictUncertainAndNoNearMiss() throws {
        let e = RuleEvaluator.evaluate(ruleset: try F.ruleset("forward-port"), hook: "forward", type: "filter",
                                       packet: F.tcp("10.0.0.2", "10.0.1.5", dport: 80, state: nil))
        #expect(!e.isCertain)
        #expect(e.uncertainRules == [EvaluatedRuleRef(chain: ChainRef(family: .inet, table: "filter", chain: "forward"), handle: 2)])
        #expect(e.steps[1].followsUncertainRule)
        #expect(NearMissFinder.closest(in: e, kinds: [.accept]) == nil)
    }

    /// (c) DNAT from 8000 while the connection is to 8080.
    @Test func dnatFromTheWrongPort() throws {
        let e = RuleEvaluator.evaluate(ruleset: try F.ruleset("dnat-port"), hook: "prerouting", type: "nat",
                                       packet: F.tcp("192.0.2.50", "192.0.2.1", dport: 8080, iif: "eth0", oif: nil))
        #expect(e.decision?.verdict.kind == .accept)
        let nm = try #require(NearMissFinder.closest(in: e, kinds: [.dnat]))
        #expect(nm.verdict == RuleVerdict(.dnat, "to 10.0.0.2:80"))
        #expect(nm.differences.map { [$0.field, $0.ruleValue, $0.packetValue] } == [["tcp dport", "8000", "8080"]])
        #expect(nm.correctedRule == "tcp dport 8080 dnat to 10.0.0.2:80")
    }

    /// (d) FORWARD accept for 10.0.1.0/24, the packet from 10.0.0.2: the correction keeps the
    /// prefix length. The conntrack match is iptables-nft's xt, read from nft's text.
    @Test func forwardAcceptForTheWrongSubnet() throws {
        let e = RuleEvaluator.evaluate(ruleset: try F.ruleset("forward-subnet"), hook: "forward", type: "filter",
                                       packet: F.tcp("10.0.0.2", "8.8.8.8", dport: 80))
        #expect(e.isCertain)
        #expect(e.decision?.verdict.kind == .drop)
        guard case .notMatched(let state) = e.steps[0].evaluation.outcome else {
            Issue.record("the conntrack rule is read from its text")
            return
        }
        #expect(state.field == "ct state" && state.ruleValue == "related,established" && state.packetValue == "new")
        let nm = try #require(NearMissFinder.closest(in: e, kinds: [.accept]))
        #expect(nm.handle == 3)
        #expect(nm.differences.map { [$0.field, $0.ruleValue, $0.packetValue] } == [["ip saddr", "10.0.1.0/24", "10.0.0.2"]])
        #expect(nm.correctedRule == "oifname \"enX0\" ip saddr 10.0.0.0/24 counter accept")
    }

    /// (e) `ip saddr @allowed`: the set's elements (prefix, address, range) and a set with
    /// commented elements; an empty set matches nothing. A set lookup is no in-rule edit.
    @Test func namedSetLookups() throws {
        let rs = try F.ruleset("named-set")
        for (src, matches) in [("10.0.1.77", true), ("192.0.2.7", true), ("198.51.100.5", true), ("198.51.100.10", false)] {
            let e = RuleEvaluator.evaluate(ruleset: rs, hook: "forward", type: "filter", packet: F.tcp(src, "10.9.9.9", dport: 8443))
            #expect(e.steps.first?.evaluation.outcome.mayMatch == false, "@nobody is empty")
            #expect(e.decision?.verdict.kind == (matches ? .accept : .drop), "\(src)")
            #expect(e.isCertain)
        }
        let e = RuleEvaluator.evaluate(ruleset: rs, hook: "forward", type: "filter", packet: F.tcp("10.0.0.2", "10.9.9.9", dport: 443))
        let nm = try #require(NearMissFinder.closest(in: e, kinds: [.accept]))
        #expect(nm.handle == 6)
        #expect(nm.differences.map { [$0.field, $0.ruleValue, $0.packetValue] } == [["ip saddr", "@allowed", "10.0.0.2"]])
        #expect(nm.correctedRule == nil, "the fix is an element of the set, not an edit of the rule")
        let both = RuleEvaluator.evaluate(ruleset: rs, hook: "forward", type: "filter", packet: F.tcp("10.0.0.2", "10.9.9.9", dport: 80))
        #expect(NearMissFinder.closest(in: both, kinds: [.accept])?.differences.map(\.field) == ["ip saddr", "tcp dport"])
        #expect(NearMissFinder.closest(in: both, kinds: [.accept], maxDifferences: 1) == nil)
    }

    /// (g) Rules with matches hoptrace does not model (xt recent and string; limit; meter) are
    /// "not evaluated", make the verdict uncertain, and are never a near miss.
    @Test func unmodeledMatchesAreNotEvaluatedAndNeverANearMiss() throws {
        let rs = try F.ruleset("unmodeled")
        let ip = (family: NFTFamily.ip, name: "filter"), inet = (family: NFTFamily.inet, name: "filter")
        // iptables-nft: tcp dport 8080 -m recent ACCEPT, tcp dport 8081 -m string ACCEPT.
        let recent = RuleEvaluator.evaluate(ruleset: rs, table: ip, hook: "forward", type: "filter",
                                            packet: F.tcp("10.0.0.2", "8.8.8.8", dport: 8080))
        guard case .notEvaluated(let unknown) = recent.steps[0].evaluation.outcome else {
            Issue.record("xt recent must not be evaluated")
            return
        }
        #expect(unknown.map(\.field) == ["xt match recent"])
        #expect(recent.steps[0].text == "tcp dport 8080 xt match recent counter accept", "nft has no translation for it")
        #expect(!recent.isCertain)
        #expect(recent.decision?.verdict.kind == .drop)
        #expect(NearMissFinder.closest(in: recent, kinds: [.accept]) == nil, "the xt rule is the closest")
        // To 80 both differ in the port only, and the first is not evaluated: still no near miss.
        let port80 = RuleEvaluator.evaluate(ruleset: rs, table: ip, hook: "forward", type: "filter",
                                            packet: F.tcp("10.0.0.2", "8.8.8.8", dport: 80))
        #expect(port80.isCertain)
        #expect(port80.steps.map { $0.evaluation.unevaluated.map(\.field) } == [["xt match recent"], ["xt match string"]])
        #expect(NearMissFinder.closest(in: port80, kinds: [.accept]) == nil)
        // nft: limit and meter.
        for port: UInt16 in [9090, 9091, 9092] {
            let e = RuleEvaluator.evaluate(ruleset: rs, table: inet, hook: "forward", type: "filter",
                                           packet: F.tcp("10.0.0.2", "8.8.8.8", dport: port))
            #expect(e.decision?.verdict.kind == .drop)
            #expect(NearMissFinder.closest(in: e, kinds: [.accept]) == nil, "\(port)")
            #expect(e.isCertain == (port == 9092))
        }
        let limit = RuleEvaluator.evaluate(ruleset: rs, table: inet, hook: "forward", type: "filter",
                                           packet: F.tcp("10.0.0.2", "8.8.8.8", dport: 9090))
        #expect(limit.steps.map { $0.evaluation.unevaluated.map(\.field) } == [["limit rate"], ["meter"], []])
    }
}
