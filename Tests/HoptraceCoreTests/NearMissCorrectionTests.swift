import Foundation
@testable import HoptraceCore
import Testing

/// Which command corrects a near-missing rule (issue 18): `iptables -R` where iptables wrote it
/// and can list it, `nft replace rule … handle N` where nft did, and none where neither can
/// write the rule back faithfully.
@Suite struct NearMissCorrectionTests {
    typealias F = NearMissFixtures

    static let ping = RulePacket(saddr: F.ip("172.18.0.3"), daddr: F.ip("1.1.1.1"), l4proto: IPProtocol.icmp, icmpType: 8,
                                 iifname: "docker1", oifname: "enX0", ctState: .new)

    func masqueradeMiss() throws -> (NearMiss, NFTRuleset) {
        let rs = try F.ruleset("lab-masquerade")
        let e = RuleEvaluator.evaluate(ruleset: rs, hook: "postrouting", type: "nat", packet: Self.ping)
        return (try #require(NearMissFinder.closest(in: e, kinds: [.masquerade, .snat])), rs)
    }

    @Test func aRuleIptablesWroteIsReplacedWithIptables() throws {
        let (miss, rs) = try masqueradeMiss()
        let sources = NearMissAnalysis.Sources(ruleset: { _ in rs }, iptablesRules: { ns, table, chain, v6 in
            ns == "hthost" && table == "nat" && chain == "POSTROUTING" && !v6 ? ["-A POSTROUTING -s 172.18.0.0/24 -o eth0 -j MASQUERADE"] : nil
        })
        let fix = NearMissAnalysis.correction(miss, ruleset: rs, netns: "hthost", packet: Self.ping, sources: sources)
        #expect(fix?.description == "ip netns exec hthost iptables -t nat -R POSTROUTING 1 -s 172.18.0.0/24 -o enX0 -j MASQUERADE")
    }

    @Test func anXtRuleIptablesCannotListGetsNoCorrection() throws {
        let (miss, rs) = try masqueradeMiss()
        // nft cannot write an xt target back: without iptables' listing, no fix rather than a wrong one.
        let sources = NearMissAnalysis.Sources(ruleset: { _ in rs })
        #expect(NearMissAnalysis.correction(miss, ruleset: rs, netns: "hthost", packet: Self.ping, sources: sources) == nil)
    }

    @Test func aRuleNftWroteIsReplacedByHandle() throws {
        let rs = try F.ruleset("forward-port")
        let packet = F.tcp("10.0.0.2", "10.9.9.9", dport: 80)
        let e = RuleEvaluator.evaluate(ruleset: rs, hook: "forward", type: "filter", packet: packet)
        let miss = try #require(NearMissFinder.closest(in: e, kinds: [.accept]))
        let fix = NearMissAnalysis.correction(miss, ruleset: rs, netns: "hthost", packet: packet, sources: NearMissAnalysis.Sources(ruleset: { _ in rs }))
        #expect(fix?.description == "ip netns exec hthost nft replace rule inet filter forward handle \(miss.handle) 'tcp dport 80 accept'", "\(String(describing: fix))")
    }
}
