/// The rule that almost applied: a rule of the kind the packet needed (the MASQUERADE it left
/// without, the ACCEPT of a dropped forward) that differs from the packet in few fields, each
/// named with the rule's value and the packet's. Issue 18's "which rule did not match, and why".
public struct NearMiss: Sendable, Hashable {
    public var chain: ChainRef
    public var handle: UInt64
    /// nft's text of the rule, when the ruleset has it.
    public var ruleText: String?
    public var verdict: RuleVerdict
    /// Every field that differs: `field` ("oifname"), `ruleValue` ("eth0"), `packetValue` ("enX0").
    public var differences: [FieldEvaluation]
    /// The rule as nft would print it with those fields taking the packet's values
    /// (`oifname "enX0" masquerade`), for `nft replace rule … handle N`; nil when it cannot be
    /// written so (see `RuleRendering.corrected`).
    public var correctedRule: String?
    /// False when an earlier rule that could not be evaluated may have decided first: correcting
    /// this rule may then not be enough.
    public var isCertain: Bool
}

public enum NearMissFinder {
    /// More differing fields than this is another rule, not a near miss.
    public static let maxDifferences = 2

    /// The reached rule of one of `kinds` with the fewest differing fields, or nil. On a tie, the
    /// rule with more fields that match (more of it was written for this packet: `oifname "enX0"
    /// ip saddr 10.0.1.0/24 accept` over `iifname "lo" accept`), then the earliest. nil when
    /// that rule differs in none or more than `maxDifferences` fields, has a field that could
    /// not be evaluated (a rule hoptrace cannot model never makes a false near miss), or was
    /// reached only through a jump that could not be evaluated.
    ///
    /// Two kinds of rule are not candidates. One whose conntrack state or status differs: it is
    /// meant for other packets of a connection (`ct state established,related accept`), and
    /// widening it would be no fix. And when a drop or reject decided, a rule of another base
    /// chain: its accept would not have kept the packet from the chain that dropped it.
    public static func closest(in evaluation: ChainEvaluation, kinds: Set<RuleVerdict.Kind>,
                               maxDifferences: Int = maxDifferences) -> NearMiss? {
        var onlyIn: ChainRef?
        if let d = evaluation.decision, [.drop, .reject, .queue].contains(d.verdict.kind) { onlyIn = d.baseChain }
        var best: EvaluatedRule?
        for step in evaluation.steps {
            guard let v = step.evaluation.verdict, kinds.contains(v.kind), onlyIn.map({ $0 == step.baseChain }) ?? true,
                  !step.evaluation.differences.contains(where: { $0.test?.field == .ctState || $0.test?.field == .ctStatus })
            else { continue }
            if best.map({ Self.rank(step) < Self.rank($0) }) ?? true { best = step }
        }
        guard let step = best, let verdict = step.evaluation.verdict, !step.isSpeculative,
              step.evaluation.unevaluated.isEmpty, (1...maxDifferences).contains(step.evaluation.differences.count)
        else { return nil }
        let differences = step.evaluation.differences
        return NearMiss(chain: step.chain, handle: step.handle, ruleText: step.text, verdict: verdict,
                        differences: differences,
                        correctedRule: RuleRendering.corrected(step.evaluation, fields: differences,
                                                               packet: evaluation.packet, comment: step.comment),
                        isCertain: !step.followsUncertainRule)
    }

    /// Fewer differences first, then more matching fields; `<` keeps the earliest of equals.
    private static func rank(_ step: EvaluatedRule) -> (Int, Int) {
        (step.evaluation.differences.count, -step.evaluation.fields.filter { $0.result == .matched }.count)
    }
}
