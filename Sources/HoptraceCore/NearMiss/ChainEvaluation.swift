/// A chain by its full name: `ip filter FORWARD`.
public struct ChainRef: Sendable, Hashable, CustomStringConvertible {
    public var family: NFTFamily
    public var table: String
    public var chain: String

    public init(family: NFTFamily, table: String, chain: String) {
        self.family = family
        self.table = table
        self.chain = chain
    }

    public var description: String { "\(family) \(table) \(chain)" }
}

/// A rule the packet reached, and how it compared.
public struct EvaluatedRule: Sendable, Hashable {
    public var chain: ChainRef
    /// The base chain the packet was walking when it reached the rule (`chain` itself, or the
    /// one that jumped to it).
    public var baseChain: ChainRef
    public var handle: UInt64
    /// nft's text of the rule, when the ruleset has it.
    public var text: String?
    public var comment: String?
    public var evaluation: RuleEvaluation
    /// Reached only if a rule that could not be evaluated jumped here: what it decides is not the packet's fate.
    public var isSpeculative: Bool
    /// An earlier rule that could not be evaluated may have decided before this one was reached.
    public var followsUncertainRule: Bool
}

/// What decided the packet's fate at the hook.
public struct HookDecision: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        case rule(ChainRef, handle: UInt64)
        /// The base chain's policy: no rule decided.
        case policy(ChainRef)
    }

    public var verdict: RuleVerdict
    public var source: Source
    /// The base chain whose walk decided: an accept elsewhere could not have saved a packet it dropped.
    public var baseChain: ChainRef
}

/// The rules of a hook's chains, as the packet walks them.
public struct ChainEvaluation: Sendable, Hashable {
    public var hook: String
    public var type: String?
    public var packet: RulePacket
    /// The base chains on the hook, in priority order, that the packet entered.
    public var baseChains: [ChainRef]
    /// Every rule reached, in the order the packet reached it (into jumped-to chains and back).
    public var steps: [EvaluatedRule]
    /// nil when no base chain is on the hook: nothing stops the packet.
    public var decision: HookDecision?
    /// Rules that could not be evaluated and could have decided: `decision` assumes they did not match.
    public var uncertainRules: [EvaluatedRuleRef]
    /// What the walk could not follow: a jump to a chain the dump lacks, a loop, too deep a nesting.
    public var notes: [String]

    /// Whether `decision` is the packet's fate, not one of several possible.
    public var isCertain: Bool { uncertainRules.isEmpty && notes.isEmpty }
}

public struct EvaluatedRuleRef: Sendable, Hashable {
    public var chain: ChainRef
    public var handle: UInt64

    public init(chain: ChainRef, handle: UInt64) {
        self.chain = chain
        self.handle = handle
    }
}
