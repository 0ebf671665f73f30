/// One rule against one packet: every field, not only the first that fails, so a near miss
/// can count how far the rule is from matching.
public struct RuleEvaluation: Sendable, Hashable {
    /// Each test and each statement not modeled, in the rule's order.
    public var fields: [FieldEvaluation]
    /// nil for a rule without one (it goes on to the next rule), or whose target is not modeled.
    public var verdict: RuleVerdict?
    public var outcome: RuleOutcome
    /// The rule as read, for writing it again corrected.
    public var statements: [RuleStatement]
    /// A statement not modeled might be a verdict (an unknown xt target).
    public var mayEndChainUnmodeled: Bool

    public init(statements: [RuleStatement], packet: RulePacket) {
        self.statements = statements
        var fields: [FieldEvaluation] = []
        var verdict: RuleVerdict?
        var mayEnd = false
        for (i, s) in statements.enumerated() {
            switch s {
            case .test(let t): fields.append(t.evaluate(packet, statementIndex: i))
            case .verdict(let v): verdict = verdict ?? v
            case .noEffect: continue
            case .notModeled(let what, let mayEndChain):
                mayEnd = mayEnd || mayEndChain
                fields.append(FieldEvaluation(field: what, op: nil, ruleValue: what, packetValue: nil,
                                              result: .notEvaluated("\(what) is not modeled"), statementIndex: i, test: nil))
            }
        }
        self.fields = fields
        self.verdict = verdict
        self.mayEndChainUnmodeled = mayEnd
        if let first = fields.first(where: \.differs) {
            outcome = .notMatched(first)
        } else {
            let unknown = fields.filter(\.isNotEvaluated)
            outcome = unknown.isEmpty ? .matched : .notEvaluated(unknown)
        }
    }

    public var differences: [FieldEvaluation] { fields.filter(\.differs) }
    public var unevaluated: [FieldEvaluation] { fields.filter(\.isNotEvaluated) }
}

public enum RuleOutcome: Sendable, Hashable {
    case matched
    /// The first field that differs (`RuleEvaluation.differences` has them all).
    case notMatched(FieldEvaluation)
    /// Nothing differs, and these could not be evaluated: the rule may match.
    case notEvaluated([FieldEvaluation])

    /// Matched, or may have.
    public var mayMatch: Bool { if case .notMatched = self { false } else { true } }
}
