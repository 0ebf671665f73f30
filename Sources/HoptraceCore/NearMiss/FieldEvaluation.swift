/// How one field of a rule compares with the packet: the unit a near miss counts.
public struct FieldEvaluation: Sendable, Hashable {
    public enum Result: Sendable, Hashable {
        case matched
        case differs
        /// Why it could not be told: the hook does not know the field, or hoptrace does not model the statement.
        case notEvaluated(String)
    }

    /// nft's words for the field ("oifname", "tcp dport"); for a statement not modeled, its name.
    public var field: String
    /// nil for a statement not modeled.
    public var op: MatchOp?
    /// The rule's value as a person reads it: "eth0", "10.0.1.0/24", "{ 80, 443 }".
    public var ruleValue: String
    /// The packet's ("enX0", "80"); nil when unknown at this hook.
    public var packetValue: String?
    public var result: Result
    /// Where the statement is in the rule, so a correction can replace it.
    public var statementIndex: Int
    /// nil for a statement not modeled.
    public var test: RuleTest?

    public var differs: Bool { result == .differs }
    public var isNotEvaluated: Bool { if case .notEvaluated = result { true } else { false } }
}
