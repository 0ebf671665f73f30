import Foundation
import HoptraceCore

/// Each watched namespace's ruleset (and iptables' listing of a chain), read when a near miss is
/// looked for and kept for `maxAge` seconds: a rule the user just corrected is seen within that,
/// and a burst of failing flows costs one `nft -j list ruleset` per namespace, not one each.
public final class RulesetCache: @unchecked Sendable {
    public static let maxAge = 2.0
    /// Chains listed for their rule texts at most per dump (a kube-proxy ruleset has thousands).
    static let textedChains = 64

    private var rulesets: [String?: (time: Double, ruleset: NFTRuleset?)] = [:]
    /// Each chain's texts as last listed, with the rules they were listed for: a chain whose rules
    /// (handles and statements) are unchanged is not listed again, so a refresh is one nft run.
    private var texts: [String: (rules: [NFTRuleset.Rule], texts: [UInt64: String])] = [:]
    private var listings: [String: (time: Double, lines: [String]?)] = [:]
    private let namespaces: Set<String?>

    /// Only these namespaces are read (the watched ones): a name from elsewhere is never run.
    public init(namespaces: [String?]) { self.namespaces = Set(namespaces) }

    public func ruleset(_ netns: String?, now: Double = Monotonic.now) -> NFTRuleset? {
        guard namespaces.contains(netns) else { return nil }
        if let cached = rulesets[netns], now - cached.time < Self.maxAge { return cached.ruleset }
        let read = try? read(in: netns.map { NetworkNamespace($0) }, netns: netns)
        rulesets[netns] = (now, read)
        return read
    }

    public func iptablesRules(_ netns: String?, table: String, chain: String, v6: Bool, now: Double = Monotonic.now) -> [String]? {
        guard namespaces.contains(netns) else { return nil }
        let key = "\(netns ?? "")\u{0}\(table)\u{0}\(chain)\u{0}\(v6)"
        if let cached = listings[key], now - cached.time < Self.maxAge { return cached.lines }
        let r = try? NamespaceCommand.run([v6 ? "ip6tables" : "iptables", "-t", table, "-S", chain], in: netns.map { NetworkNamespace($0) })
        let lines = r.flatMap { $0.status == 0 ? $0.stdout.split(separator: "\n").map(String.init).filter { $0.hasPrefix("-A ") } : nil }
        if listings.count > 256 { listings.removeAll() }
        listings[key] = (now, lines)
        return lines
    }

    /// `nft -j list ruleset`, with the texts of the chains that have rules (iptables-nft's `xt`
    /// parts are only in them), the chains needing them first.
    func read(in namespace: NetworkNamespace?, netns: String?) throws -> NFTRuleset {
        var ruleset = try TraceSession.dumpRuleset(in: namespace)
        let awaiting = RuleEvaluator.chainsAwaitingRuleTexts(in: ruleset)
        let rest = ruleset.chains.filter { c in !c.rules.isEmpty && !awaiting.contains { $0.family == c.family && $0.table == c.table && $0.name == c.name } }
        var listed = 0
        for chain in awaiting + rest {
            let key = "\(netns ?? "")\u{0}\(chain.family)\u{0}\(chain.table)\u{0}\(chain.name)"
            var found = texts[key].flatMap { $0.rules == chain.rules.map(Self.withoutText) ? $0.texts : nil }
            if found == nil, listed < Self.textedChains {
                listed += 1
                let listing = (try? TraceSession.listChain(chain, in: namespace)) ?? nil
                found = listing.map { NFTListing.ruleTexts(in: $0) } ?? [:]
                if texts.count > 4096 { texts.removeAll() }
                texts[key] = (chain.rules.map(Self.withoutText), found ?? [:])
            }
            if let found { ruleset.setRuleTexts(found, family: chain.family, table: chain.table, chain: chain.name) }
        }
        return ruleset
    }

    /// The rule as its text depends on it: not its text, nor its counter's values (which move
    /// with every packet and would have every active chain listed again at each refresh).
    static func withoutText(_ r: NFTRuleset.Rule) -> NFTRuleset.Rule {
        var r = r
        r.text = nil
        r.expr = r.expr.map { e in
            if case .object(let o) = e, o["counter"] != nil { return .object(["counter": .null]) }
            return e
        }
        return r
    }
}
