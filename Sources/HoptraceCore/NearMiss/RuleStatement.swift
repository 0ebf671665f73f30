/// One nftables rule as hoptrace models it: its tests, its verdict, and whatever it does not
/// model, named. Read from nft's JSON (`RuleJSON`) or, for iptables-nft's xt matches whose
/// arguments the JSON leaves out, from nft's text of the rule (`RuleTextParser`).
public enum RuleStatement: Sendable, Hashable {
    case test(RuleTest)
    case verdict(RuleVerdict)
    /// counter, log, a comment: nothing that changes the packet's path. The words that print it
    /// again ("counter"), nil when they are unknown (iptables-nft's `-m comment` in JSON).
    case noEffect(String?)
    /// What hoptrace does not model ("xt match recent", "limit rate", "verdict map"): the rule is
    /// "not evaluated", never guessed. `mayEndChain`: it could be a verdict (an unknown xt target).
    case notModeled(String, mayEndChain: Bool)
}

/// The packet field a test reads.
public enum RuleField: String, Sendable, Hashable {
    case nfproto, saddr, daddr, l4proto, sport, dport, icmpType, icmpv6Type
    case iifname, oifname, iif, oif, ctState, ctStatus, mark, saddrType, daddrType
}

public enum MatchOp: String, Sendable, Hashable {
    case eq = "=="
    case ne = "!="
    /// nft's implicit flag test (`ct state established,related`): any of the bits.
    case anyOf = "in"
    case lt = "<"
    case gt = ">"
    case le = "<="
    case ge = ">="
}

/// The right side of a test, typed by its field: ports, marks, protocols and ICMP types are
/// numbers; interface names, ct states and fib types are names.
public indirect enum MatchValue: Sendable, Hashable {
    case address(IPAddress)
    case prefix(IPPrefix)
    case addressRange(IPAddress, IPAddress)
    case number(UInt32)
    case numberRange(UInt32, UInt32)
    case name(String)
    /// `{ a, b }`: any element.
    case set([MatchValue])
    /// `a,b`, a list of flags as nft prints it (`ct state established,related`).
    case flags([String])
    /// `@name`; `elements` nil when the dump has none hoptrace can read (a map, a concatenation).
    case namedSet(String, elements: [MatchValue]?)
}

/// One test of a rule: `label op value`.
public struct RuleTest: Sendable, Hashable {
    public var field: RuleField
    /// The left side as nft prints it: "ip saddr", "tcp dport", "oifname", "ct state".
    public var label: String
    public var op: MatchOp
    public var value: MatchValue
    /// A test nft implies and does not print: `tcp dport 80` is also `meta l4proto tcp`.
    /// Counted as a field of its own (a UDP packet to port 80 differs in the protocol alone).
    public var isImplied: Bool

    public init(field: RuleField, label: String, op: MatchOp, value: MatchValue, isImplied: Bool = false) {
        self.field = field
        self.label = label
        self.op = op
        self.value = value
        self.isImplied = isImplied
    }
}

/// What a rule does when it matches.
public struct RuleVerdict: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case accept, drop, reject, queue, masquerade, snat, dnat, redirect, jump, goto, `return`, `continue`
    }

    public var kind: Kind
    /// nft's words after the keyword: "to 10.0.0.2:80", the chain of a jump; "" when there are
    /// none; nil when unknown (iptables-nft's xt targets: the JSON has only their names).
    public var arguments: String?

    public init(_ kind: Kind, _ arguments: String? = "") {
        self.kind = kind
        self.arguments = arguments
    }

    /// Ends the packet's walk through the chain (and, but for accept, through the hook).
    public var isTerminal: Bool {
        switch kind {
        case .accept, .drop, .reject, .queue, .masquerade, .snat, .dnat, .redirect: true
        case .jump, .goto, .return, .continue: false
        }
    }

    public var isNAT: Bool { [.masquerade, .snat, .dnat, .redirect].contains(kind) }

    /// As nft prints it ("dnat to 10.0.0.2:80"); nil when the arguments are unknown.
    public var text: String? { arguments.map { $0.isEmpty ? kind.rawValue : "\(kind.rawValue) \($0)" } }

    public var description: String { text ?? kind.rawValue }
}
