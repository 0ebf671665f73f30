/// The rule that almost applied, as a verdict carries it (NDJSON `verdict.near_miss`): where it
/// is, its text, and the first field that differs, the rule's value and the packet's.
public struct NearMissReport: Sendable, Equatable {
    public var netns: String?
    /// "ip nat", "inet filter".
    public var table: String
    public var chain: String
    /// nft's text of the rule; nil when nft printed none.
    public var rule: String?
    public var handle: UInt64
    public var field: String
    public var ruleValue: String
    public var packetValue: String

    public init(netns: String?, table: String, chain: String, rule: String?, handle: UInt64, field: String,
                ruleValue: String, packetValue: String) {
        self.netns = netns
        self.table = table
        self.chain = chain
        self.rule = rule
        self.handle = handle
        self.field = field
        self.ruleValue = ruleValue
        self.packetValue = packetValue
    }
}
