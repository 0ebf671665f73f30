import Foundation
import HoptraceCore
import Testing

/// (h) One rule per match kind (Tests/Fixtures/nearmiss/match-kinds.json: an inet table whose
/// rules have no verdict, so the packet reaches every one; each found by its comment), against
/// packets that match it and packets that do not.
@Suite struct NearMissMatchKindTests {
    typealias F = NearMissFixtures

    enum Expected: Equatable {
        case match
        /// The first differing field, by nft's name.
        case differs(String)
        case notEvaluated
    }

    static let a = RulePacket(saddr: F.ip("10.0.0.2"), daddr: F.ip("10.0.0.5"), l4proto: IPProtocol.tcp, sport: 40000, dport: 80,
                              iifname: "docker3", oifname: "eth0", ctState: .established, ctStatus: [.dstNAT, .seenReply],
                              mark: 42, isLocalDestination: false, isLocalSource: false)
    static let b = RulePacket(saddr: F.ip("10.0.2.7"), daddr: F.ip("10.0.1.9"), l4proto: IPProtocol.udp, sport: 1500, dport: 53,
                              iifname: "eth0", oifname: "docker0", ctState: .new, ctStatus: [], mark: 0x18,
                              isLocalDestination: true, isLocalSource: true)
    /// What a hook may not know is unknown here: output interface, conntrack, mark, address types.
    static let c = RulePacket(saddr: F.ip("192.0.2.7"), daddr: F.ip("10.0.0.3"), l4proto: IPProtocol.icmp, icmpType: 8,
                              iifname: "lo")
    static let v6 = RulePacket(saddr: F.ip("fd00::1"), daddr: F.ip("fd00::2"), l4proto: IPProtocol.tcp, sport: 40000, dport: 80,
                               iifname: "eth0", oifname: "eth1")

    static func outcomes(_ p: RulePacket) throws -> [String: Expected] {
        let e = RuleEvaluator.evaluate(ruleset: try F.ruleset("match-kinds"), hook: "forward", type: "filter", packet: p)
        var out: [String: Expected] = [:]
        for step in e.steps {
            guard let name = step.comment else { continue }
            switch step.evaluation.outcome {
            case .matched: out[name] = .match
            case .notMatched(let f): out[name] = .differs(f.field)
            case .notEvaluated: out[name] = .notEvaluated
            }
        }
        return out
    }

    static func check(_ p: RulePacket, _ expected: [String: Expected], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let got = try outcomes(p)
        for (name, want) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(got[name] == want, "\(name)", sourceLocation: sourceLocation)
        }
    }

    @Test func addresses() throws {
        try Self.check(Self.a, ["saddr": .match, "daddr prefix": .differs("ip daddr"), "daddr range": .match,
                                "saddr set": .differs("ip saddr"), "saddr not": .differs("ip saddr"),
                                "saddr named set": .differs("ip saddr"), "ip6 saddr": .differs("ip6 saddr")])
        try Self.check(Self.b, ["saddr": .differs("ip saddr"), "daddr prefix": .match, "daddr range": .differs("ip daddr"),
                                "saddr set": .match, "saddr named set": .differs("ip saddr")])
        try Self.check(Self.c, ["saddr not": .match, "saddr named set": .match, "daddr range": .match])
        try Self.check(Self.v6, ["ip6 saddr": .match, "saddr": .differs("ip saddr"), "nfproto": .differs("meta nfproto")])
    }

    @Test func protocolsAndPorts() throws {
        try Self.check(Self.a, ["nfproto": .match, "l4proto set": .match, "ip protocol": .differs("ip protocol"),
                                "tcp dport": .match, "udp sport range": .differs("meta l4proto"), "tcp dport set": .match,
                                "tcp dport lt": .match, "th dport": .differs("th dport"), "icmp type": .differs("meta l4proto")])
        try Self.check(Self.b, ["l4proto set": .match, "tcp dport": .differs("meta l4proto"), "udp sport range": .match,
                                "tcp dport set": .differs("meta l4proto"), "th dport": .match])
        // ICMP: no ports (a tcp port test fails), and `th` would read ICMP's own bytes: not evaluated.
        try Self.check(Self.c, ["l4proto set": .differs("meta l4proto"), "ip protocol": .match, "icmp type": .match,
                                "tcp dport": .differs("meta l4proto"), "th dport": .notEvaluated])
        try Self.check(Self.v6, ["tcp dport": .match])
    }

    @Test func interfaces() throws {
        try Self.check(Self.a, ["iifname wildcard": .match, "oifname not": .match, "iifname set": .differs("iifname"),
                                "iif": .differs("iif")])
        try Self.check(Self.b, ["iifname wildcard": .differs("iifname"), "oifname not": .differs("oifname"),
                                "iifname set": .match])
        try Self.check(Self.c, ["iif": .match, "oifname not": .notEvaluated])
    }

    @Test func conntrack() throws {
        try Self.check(Self.a, ["ct state": .match, "ct state new": .differs("ct state"), "ct state not": .match,
                                "ct state set": .differs("ct state"), "ct status": .match, "ct status not": .match])
        try Self.check(Self.b, ["ct state": .differs("ct state"), "ct state new": .match, "ct state not": .match,
                                "ct state set": .match, "ct status": .differs("ct status"), "ct status not": .match])
        try Self.check(Self.c, ["ct state": .notEvaluated, "ct status": .notEvaluated])
    }

    /// `fib daddr type local`, iptables' `-m addrtype --dst-type LOCAL`: the packet says only
    /// whether the address is local, so other types are known only to be wrong for a local one.
    @Test func addressTypes() throws {
        try Self.check(Self.a, ["fib daddr local": .differs("fib daddr type"), "fib daddr not local": .match,
                                "fib saddr local": .differs("fib saddr type"), "fib daddr other types": .notEvaluated])
        try Self.check(Self.b, ["fib daddr local": .match, "fib daddr not local": .differs("fib daddr type"),
                                "fib saddr local": .match, "fib daddr other types": .differs("fib daddr type")])
        try Self.check(Self.c, ["fib daddr local": .notEvaluated])
    }

    @Test func marks() throws {
        try Self.check(Self.a, ["mark": .match, "mark range": .differs("meta mark")])
        try Self.check(Self.b, ["mark": .differs("meta mark"), "mark range": .match])
        try Self.check(Self.c, ["mark": .notEvaluated])
    }

    /// Counters, logs and hoptrace's own `meta nftrace set 1` change nothing; everything else
    /// outside the model is "not evaluated", whatever the packet.
    @Test func statementsWithoutEffectAndWhatIsNotModeled() throws {
        let notModeled = ["fib with iif", "masked mark", "ct mark", "tcp flags", "ttl", "vmap", "mangle"]
        for p in [Self.a, Self.b] {
            let got = try Self.outcomes(p)
            for name in notModeled { #expect(got[name] == .notEvaluated, "\(name)") }
        }
        try Self.check(Self.a, ["nftrace": .match, "log": .match])
        let e = RuleEvaluator.evaluate(ruleset: try F.ruleset("match-kinds"), hook: "forward", type: "filter", packet: Self.a)
        let unknown = e.steps.filter { notModeled.contains($0.comment ?? "") }.map { $0.evaluation.unevaluated.map(\.field) }
        #expect(unknown == [["fib daddr . iif type"], ["a masked value"], ["ct mark"], ["tcp flags"], ["ip ttl"],
                            ["verdict map"], ["sets meta mark"]])
        // The verdict map could have decided; nothing else here has a verdict.
        #expect(e.uncertainRules.count == 1)
        #expect(e.decision?.source == .policy(ChainRef(family: .inet, table: "kinds", chain: "forward")))
    }

    /// Values as a verdict shows them: names bare, marks as nft prints them.
    @Test func fieldValuesAsAPersonReadsThem() throws {
        let e = RuleEvaluator.evaluate(ruleset: try F.ruleset("match-kinds"), hook: "forward", type: "filter", packet: Self.b)
        func first(_ name: String) -> FieldEvaluation? {
            guard let step = e.steps.first(where: { $0.comment == name }) else { return nil }
            return step.evaluation.fields.first { !($0.test?.isImplied ?? false) }
        }
        #expect(first("iifname wildcard").map { [$0.ruleValue, $0.packetValue] } == ["docker*", "eth0"])
        #expect(first("mark").map { [$0.ruleValue, $0.packetValue] } == ["0x0000002a", "0x00000018"])
        #expect(first("ct state").map { [$0.ruleValue, $0.packetValue] } == ["established,related", "new"])
        #expect(first("tcp dport set").map { [$0.ruleValue, $0.packetValue] } == ["{ 80, 443 }", "53"])
        #expect(first("saddr named set").map { [$0.ruleValue, $0.packetValue] } == ["@allowed", "10.0.2.7"])
        #expect(first("oifname not").map { [$0.op?.rawValue, $0.ruleValue, $0.packetValue] } == ["!=", "docker0", "docker0"])
        #expect(first("fib daddr not local").map { [$0.ruleValue, $0.packetValue] } == ["local", "local"])
        #expect(first("icmp type").map { [$0.field, $0.ruleValue, $0.packetValue] } == ["icmp type", "echo-request", "none"])
    }
}
