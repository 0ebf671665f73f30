/// Walks a packet through the chains of one netfilter hook as nf_tables does, from the ruleset
/// nft printed (`nft -j list ruleset`, iptables-nft's tables included).
///
/// nft's semantics, modeled: the base chains of the hook run in priority order, `ip`/`ip6`
/// tables and `inet` ones alike for the packet's family. In a chain, rules run in order; a
/// `jump` enters a user chain and comes back at its end or on `return`; a `goto` does not come
/// back. `accept` ends the base chain and the next base chain on the hook still runs; `drop`,
/// `reject` and `queue` are final; in `nat` chains a NAT statement is final too (the connection
/// has its binding, nf_nat consults no further chain). A base chain that ends without a verdict
/// applies its policy.
///
/// A rule that cannot be evaluated (a field the hook does not know, a match not modeled) is
/// taken as not matching, and if it could have decided, it is listed in `uncertainRules`;
/// a jump it might have made is walked anyway, its steps marked speculative.
public enum RuleEvaluator {
    /// Bound on nested jumps; nft itself refuses more than 16 levels.
    public static let maxDepth = 16

    /// - Parameters:
    ///   - table: only that table's chains (e.g. `(.ip, "nat")`); nil for every table of the packet's family.
    ///   - hook: "prerouting", "input", "forward", "output", "postrouting".
    ///   - type: "filter", "nat", "route"; nil for every type.
    public static func evaluate(ruleset: NFTRuleset, table: (family: NFTFamily, name: String)? = nil, hook: String,
                                type: String?, packet: RulePacket) -> ChainEvaluation {
        let families: [NFTFamily] = packet.isIPv6 ? [.ip6, .inet] : [.ip, .inet]
        let bases = ruleset.chains.enumerated()
            .filter { _, c in
                c.hook == hook && (type == nil || c.type == type) && families.contains(c.family)
                    && table.map { $0.family == c.family && $0.name == c.table } ?? true
            }
            .sorted { ($0.element.priority ?? 0, $0.offset) < ($1.element.priority ?? 0, $1.offset) }
            .map(\.element)

        var walk = Walk(ruleset: ruleset, packet: packet)
        var decision: HookDecision?
        var entered: [ChainRef] = []
        for base in bases {
            let ref = ChainRef(family: base.family, table: base.table, chain: base.name)
            entered.append(ref)
            switch walk.run(base, stack: [ref], speculative: false) {
            case .verdict(let v, let at, let handle):
                decision = HookDecision(verdict: v, source: .rule(at, handle: handle), baseChain: ref)
                if v.kind == .accept { continue }
                return walk.result(hook: hook, type: type, bases: entered, decision: decision)
            case .fellOff, .returned:
                let policy = RuleVerdict(base.policy == "drop" ? .drop : .accept)
                decision = HookDecision(verdict: policy, source: .policy(ref), baseChain: ref)
                if policy.kind == .drop { return walk.result(hook: hook, type: type, bases: entered, decision: decision) }
            }
        }
        return walk.result(hook: hook, type: type, bases: entered, decision: decision)
    }

    /// One rule of `chain` against the packet, alone (no walk): every field compared.
    public static func evaluate(rule: NFTRuleset.Rule, in chain: NFTRuleset.Chain, ruleset: NFTRuleset,
                                packet: RulePacket) -> RuleEvaluation {
        let context = RuleContext(ruleset: ruleset, family: chain.family, table: chain.table)
        return RuleEvaluation(statements: context.statements(of: rule), packet: packet)
    }

    /// The chains with iptables-nft `xt` rules whose texts this dump has not read: their
    /// conntrack, addrtype and NAT arguments are only in nft's text (`RuleContext.statements`),
    /// so read them (`NFTListing.listChainCommand`, `NFTRuleset.setRuleTexts`) before evaluating.
    public static func chainsAwaitingRuleTexts(in ruleset: NFTRuleset) -> [NFTRuleset.Chain] {
        ruleset.chains.filter { c in
            !c.ruleTextsRead && c.rules.contains { r in r.expr.contains { $0["xt"] != nil } }
        }
    }

    private struct Walk {
        let ruleset: NFTRuleset
        let packet: RulePacket
        var steps: [EvaluatedRule] = []
        var uncertain: [EvaluatedRuleRef] = []
        var notes: [String] = []

        init(ruleset: NFTRuleset, packet: RulePacket) {
            self.ruleset = ruleset
            self.packet = packet
        }

        enum Exit {
            case verdict(RuleVerdict, ChainRef, UInt64)
            /// The chain ran out of rules.
            case fellOff
            /// A `return`; or the chain a `goto` went to ended, which ends the chain that went.
            case returned

            var isVerdict: Bool { if case .verdict = self { true } else { false } }
        }

        func result(hook: String, type: String?, bases: [ChainRef], decision: HookDecision?) -> ChainEvaluation {
            ChainEvaluation(hook: hook, type: type, packet: packet, baseChains: bases, steps: steps, decision: decision,
                            uncertainRules: uncertain, notes: notes)
        }

        mutating func run(_ chain: NFTRuleset.Chain, stack: [ChainRef], speculative: Bool) -> Exit {
            guard let ref = stack.last else { return .fellOff }
            let context = RuleContext(ruleset: ruleset, family: chain.family, table: chain.table)
            for rule in chain.rules {
                let evaluation = RuleEvaluation(statements: context.statements(of: rule), packet: packet)
                steps.append(EvaluatedRule(chain: ref, baseChain: stack[0], handle: rule.handle, text: rule.text,
                                           comment: rule.comment, evaluation: evaluation, isSpeculative: speculative,
                                           followsUncertainRule: !uncertain.isEmpty))
                let here = EvaluatedRuleRef(chain: ref, handle: rule.handle)
                switch evaluation.outcome {
                case .notMatched:
                    continue
                case .notEvaluated where evaluation.mayEndChainUnmodeled:
                    uncertain.append(here)
                    continue
                case .matched:
                    guard let v = evaluation.verdict else { continue }
                    switch v.kind {
                    case .continue: continue
                    case .return: return .returned
                    case .jump, .goto:
                        let exit = enter(v.arguments ?? "", from: chain, stack: stack, at: here, speculative: speculative)
                        if exit.isVerdict { return exit }
                        if v.kind == .goto { return .returned }
                    default: return .verdict(v, ref, rule.handle)
                    }
                case .notEvaluated:
                    // It may or may not match: go on as if not, and say what it could have done.
                    guard let v = evaluation.verdict, v.kind != .continue else { continue }
                    if v.kind == .jump || v.kind == .goto {
                        let exit = enter(v.arguments ?? "", from: chain, stack: stack, at: here, speculative: true)
                        // A jump that comes back changes nothing; a goto ends this chain either way.
                        if v.kind == .jump, !exit.isVerdict { continue }
                    }
                    uncertain.append(here)
                }
            }
            return .fellOff
        }

        /// Into a user chain of the same table, unless the dump lacks it, it is already on the
        /// stack (nft refuses loops; a dump edited by hand may have one) or nesting is too deep.
        mutating func enter(_ name: String, from chain: NFTRuleset.Chain, stack: [ChainRef], at rule: EvaluatedRuleRef,
                            speculative: Bool) -> Exit {
            let ref = ChainRef(family: chain.family, table: chain.table, chain: name)
            guard let target = ruleset.chain(family: chain.family, table: chain.table, name: name) else {
                notes.append("\(rule.chain) handle \(rule.handle) jumps to \(name), which the ruleset lacks")
                return .fellOff
            }
            guard !stack.contains(ref), stack.count <= RuleEvaluator.maxDepth else {
                notes.append("\(rule.chain) handle \(rule.handle): jump to \(name) not followed (a loop, or nested too deep)")
                return .fellOff
            }
            return run(target, stack: stack + [ref], speculative: speculative)
        }
    }
}
