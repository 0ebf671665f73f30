import Foundation
import HoptraceCore
import Testing

/// (f) iptables-nft rulesets as Docker writes them: jumps through DOCKER-USER,
/// DOCKER-ISOLATION-STAGE-1/2 and DOCKER; `-i docker+`; conntrack and addrtype, which nft's JSON
/// names only as xt matches and its text translates.
@Suite struct NearMissDockerTests {
    typealias F = NearMissFixtures
    static let forward = ChainRef(family: .ip, table: "filter", chain: "FORWARD")

    static func steps(_ e: ChainEvaluation) -> [String] {
        e.steps.map { "\($0.chain.chain) \($0.handle)" }
    }

    /// A container's packet to the world: through DOCKER-USER and both isolation stages and
    /// back, then policy drop: `-i docker+ -o enX0 -j ACCEPT` differs in the output interface.
    @Test func containerOutboundWalksTheDockerChainsAndNearMissesOnTheInterface() throws {
        let rs = try F.ruleset("iptables-docker")
        let e = RuleEvaluator.evaluate(ruleset: rs, hook: "forward", type: "filter",
                                       packet: F.tcp("172.17.0.2", "8.8.8.8", dport: 443, iif: "docker0", oif: "eth0"))
        #expect(Self.steps(e) == ["FORWARD 6", "DOCKER-USER 16", "FORWARD 7", "DOCKER-ISOLATION-STAGE-1 12",
                                  "DOCKER-ISOLATION-STAGE-2 14", "DOCKER-ISOLATION-STAGE-2 15", "DOCKER-ISOLATION-STAGE-1 13",
                                  "FORWARD 8", "FORWARD 9", "FORWARD 10"])
        #expect(e.steps.allSatisfy { $0.baseChain == Self.forward })
        #expect(e.isCertain)
        #expect(e.decision?.source == .policy(Self.forward))
        let nm = try #require(NearMissFinder.closest(in: e, kinds: [.accept]))
        #expect(nm.handle == 10)
        #expect(nm.ruleText == "iifname \"docker*\" oifname \"enX0\" counter accept")
        #expect(nm.differences.map { [$0.field, $0.ruleValue, $0.packetValue] } == [["oifname", "enX0", "eth0"]])
        #expect(nm.correctedRule == "iifname \"docker*\" oifname \"eth0\" counter accept")
        // Out through enX0 it is accepted by that rule: `docker+` is nft's "docker*".
        let ok = RuleEvaluator.evaluate(ruleset: rs, hook: "forward", type: "filter",
                                        packet: F.tcp("172.17.0.2", "8.8.8.8", dport: 443, iif: "docker0", oif: "enX0"))
        #expect(ok.decision?.source == .rule(Self.forward, handle: 10))
    }

    /// Between the host's two Docker bridges (the real dump): STAGE-2 drops, two jumps down.
    /// The drop is final: FORWARD's later rules are never reached, so no accept is a near miss.
    @Test func isolationDropInAJumpedChainIsFinal() throws {
        let rs = try F.ruleset("host-nft", folder: "engine/docker", texts: false)
        let e = RuleEvaluator.evaluate(ruleset: rs, hook: "forward", type: "filter",
                                       packet: F.tcp("172.18.0.2", "172.17.0.2", dport: 80, iif: "br-360e73088828", oif: "docker0"))
        #expect(e.decision?.verdict.kind == .drop)
        #expect(e.decision?.source == .rule(ChainRef(family: .ip, table: "filter", chain: "DOCKER-ISOLATION-STAGE-2"), handle: 17))
        #expect(e.decision?.baseChain == Self.forward)
        #expect(Self.steps(e) == ["FORWARD 27", "DOCKER-USER 8", "FORWARD 24", "DOCKER-ISOLATION-STAGE-1 25",
                                  "DOCKER-ISOLATION-STAGE-2 26", "DOCKER-ISOLATION-STAGE-2 17"])
        #expect(e.isCertain)
        #expect(NearMissFinder.closest(in: e, kinds: [.accept]) == nil)
    }

    /// A reply to the container: `-m conntrack --ctstate RELATED,ESTABLISHED`, read from nft's
    /// text of the rule, accepts it; without the text, the rule is not evaluated.
    @Test func conntrackStateOfIptablesIsReadFromTheRuleText() throws {
        let reply = F.tcp("8.8.8.8", "172.17.0.2", dport: 40000, iif: "eth0", oif: "docker0", state: .established)
        let e = RuleEvaluator.evaluate(ruleset: try F.ruleset("iptables-docker"), hook: "forward", type: "filter", packet: reply)
        #expect(e.decision?.source == .rule(Self.forward, handle: 8))
        #expect(e.isCertain)
        let blind = RuleEvaluator.evaluate(ruleset: try F.ruleset("iptables-docker", texts: false), hook: "forward",
                                           type: "filter", packet: reply)
        #expect(!blind.isCertain)
        #expect(blind.uncertainRules.map(\.handle) == [8])
        let step = try #require(blind.steps.first { $0.handle == 8 })
        #expect(step.evaluation.unevaluated.map(\.field) == ["xt match conntrack"])
    }

    /// nat PREROUTING `-m addrtype --dst-type LOCAL -j DOCKER` (nft's text: `fib daddr type
    /// local`), then the DNAT for 8000 while the connection is to 8080.
    @Test func dnatBehindAddrtypeLocal() throws {
        let rs = try F.ruleset("iptables-docker")
        let toHost = F.tcp("192.0.2.50", "192.0.2.1", dport: 8080, iif: "eth0", oif: nil, local: true)
        let e = RuleEvaluator.evaluate(ruleset: rs, hook: "prerouting", type: "nat", packet: toHost)
        #expect(Self.steps(e) == ["PREROUTING 3", "DOCKER 4", "DOCKER 5"])
        #expect(e.isCertain)
        let nm = try #require(NearMissFinder.closest(in: e, kinds: [.dnat]))
        #expect(nm.chain == ChainRef(family: .ip, table: "nat", chain: "DOCKER"))
        #expect(nm.handle == 5)
        #expect(nm.verdict == RuleVerdict(.dnat, "to 172.17.0.2:80"))
        #expect(nm.differences.map { [$0.field, $0.ruleValue, $0.packetValue] } == [["tcp dport", "8000", "8080"]])
        #expect(nm.correctedRule == "iifname != \"docker0\" tcp dport 8080 counter dnat to 172.17.0.2:80")
        // To 8000 it is translated.
        var right = toHost
        right.dport = 8000
        let hit = RuleEvaluator.evaluate(ruleset: rs, hook: "prerouting", type: "nat", packet: right)
        #expect(hit.decision?.verdict == RuleVerdict(.dnat, "to 172.17.0.2:80"))
        // Not to a local address: the jump does not match and DOCKER is never entered.
        var elsewhere = toHost
        elsewhere.isLocalDestination = false
        let passing = RuleEvaluator.evaluate(ruleset: rs, hook: "prerouting", type: "nat", packet: elsewhere)
        #expect(Self.steps(passing) == ["PREROUTING 3"])
        #expect(NearMissFinder.closest(in: passing, kinds: [.dnat]) == nil)
    }

    /// Whether the destination is local is unknown: DOCKER is walked speculatively, its rules
    /// decide nothing, and no near miss comes from a chain the packet may never have entered.
    @Test func aJumpThatCannotBeEvaluatedIsWalkedSpeculatively() throws {
        let rs = try F.ruleset("iptables-docker")
        let e = RuleEvaluator.evaluate(ruleset: rs, hook: "prerouting", type: "nat",
                                       packet: F.tcp("192.0.2.50", "192.0.2.1", dport: 8000, iif: "eth0", oif: nil, local: nil))
        #expect(e.steps.map(\.isSpeculative) == [false, true, true])
        #expect(e.decision?.source == .policy(ChainRef(family: .ip, table: "nat", chain: "PREROUTING")))
        #expect(!e.isCertain, "the DNAT would have matched had the jump been taken")
        var to8080 = e.packet
        to8080.dport = 8080
        let miss = RuleEvaluator.evaluate(ruleset: rs, hook: "prerouting", type: "nat", packet: to8080)
        #expect(NearMissFinder.closest(in: miss, kinds: [.dnat]) == nil)
        // From the bridge itself DOCKER returns at once: whether the jump was taken changes nothing.
        let fromBridge = RuleEvaluator.evaluate(ruleset: rs, hook: "prerouting", type: "nat",
                                                packet: F.tcp("172.17.0.3", "192.0.2.1", dport: 8000, iif: "docker0", oif: nil))
        #expect(fromBridge.steps.map(\.handle) == [3, 4])
        #expect(fromBridge.isCertain)
    }

    /// The Docker host's real ruleset (Tests/Fixtures/engine/docker/host-nft.json, no texts):
    /// two bridges, conntrack as xt. A container's packet out is accepted by FORWARD's
    /// `-i docker0 ! -o docker0` after DOCKER-USER and the isolation stages.
    @Test func realDockerHostRuleset() throws {
        let rs = try F.ruleset("host-nft", folder: "engine/docker", texts: false)
        let out = RuleEvaluator.evaluate(ruleset: rs, hook: "forward", type: "filter",
                                         packet: F.tcp("172.17.0.2", "8.8.8.8", dport: 443, iif: "docker0", oif: "eth0"))
        #expect(out.decision?.source == .rule(Self.forward, handle: 12))
        #expect(Array(Self.steps(out).prefix(4)) == ["FORWARD 27", "DOCKER-USER 8", "FORWARD 24", "DOCKER-ISOLATION-STAGE-1 25"])
        #expect(out.steps.contains { $0.chain.chain == "DOCKER-ISOLATION-STAGE-2" })
        // The xt conntrack rules differ in the output interface anyway: nothing uncertain.
        #expect(out.isCertain)
        // The published port (8080 → 172.17.0.2:80): PREROUTING's addrtype is an xt match the
        // JSON does not spell, so DOCKER is speculative and the DNAT decides nothing for sure.
        let published = RuleEvaluator.evaluate(ruleset: rs, hook: "prerouting", type: "nat",
                                               packet: F.tcp("192.0.2.50", "192.0.2.1", dport: 8080, iif: "eth0", oif: nil, local: true))
        #expect(!published.isCertain)
        let dnat = try #require(published.steps.first { $0.chain.chain == "DOCKER" && $0.handle == 9 })
        #expect(dnat.isSpeculative)
        #expect(dnat.evaluation.outcome == .matched)
        #expect(dnat.evaluation.verdict == RuleVerdict(.dnat, nil), "xt DNAT: the kind, not its arguments")
    }

    /// The nftrace fixture's Docker ruleset with its chain texts (Tests/Fixtures/nftrace): the
    /// reply rule `ct state related,established` is evaluated from the text, and a DNAT miss
    /// is found through PREROUTING → DOCKER.
    @Test func nftraceDockerRulesetWithTexts() throws {
        let rs = try NFTraceFixtures.ruleset("docker")
        let reply = RuleEvaluator.evaluate(ruleset: rs, hook: "forward", type: "filter",
                                           packet: F.tcp("8.8.8.8", "172.17.0.2", dport: 40000, iif: "eth0", oif: "docker0",
                                                         state: .established))
        #expect(reply.isCertain)
        #expect(reply.decision?.source == .rule(Self.forward, handle: 8))
        // A new connection to the container's port 81: DOCKER's accept is for 80.
        let wrong = RuleEvaluator.evaluate(ruleset: rs, hook: "forward", type: "filter",
                                           packet: F.tcp("192.0.2.50", "172.17.0.2", dport: 81, iif: "eth0", oif: "docker0"))
        #expect(wrong.decision?.source == .policy(Self.forward))
        let nm = try #require(NearMissFinder.closest(in: wrong, kinds: [.accept]))
        #expect(nm.chain == ChainRef(family: .ip, table: "filter", chain: "DOCKER"))
        #expect(nm.differences.map { [$0.field, $0.ruleValue, $0.packetValue] } == [["tcp dport", "80", "81"]])
    }
}
