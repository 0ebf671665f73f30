import Foundation

/// A namespace's nftables ruleset, as much as explaining a trace needs: tables, chains (hook,
/// policy), each rule by handle with its statements, named sets and maps.
///
/// The structure comes from `nft -j list ruleset` (`init(json:)`): nft's own data, every object
/// named by its handle, nothing to count. What the JSON lacks is a rule's text, the rule in the
/// words `nft list` prints and a user reads; a trace step shows that. So each chain's texts are
/// read from `nft -a -s list chain` (`NFTListing.ruleTexts`) the first time a trace event needs
/// one (`loadRuleTexts(for:list:)`), once per dump: a new dump is a new value, without texts.
public struct NFTRuleset: Sendable, Equatable {
    public struct Table: Sendable, Equatable {
        public var family: NFTFamily
        public var name: String
        public var handle: UInt64
        /// In the JSON of nft ≥ 1.0.7 only; older versions print it in `nft list table` alone
        /// (`NFTListing.tableComment`).
        public var comment: String?
    }

    public struct Rule: Sendable, Equatable {
        public var handle: UInt64
        /// The rule as nft prints it, without the ` # handle N` suffix; nil until its chain's
        /// texts are read, and when nft's listing did not have it.
        public var text: String?
        /// nft's JSON statements, whole (see `JSONValue`).
        public var expr: [JSONValue]
        public var comment: String?
    }

    public struct Chain: Sendable, Equatable {
        public var family: NFTFamily
        public var table: String
        public var name: String
        public var handle: UInt64
        /// "filter", "nat", "route" for base chains.
        public var type: String?
        /// "forward", "prerouting", … for base chains.
        public var hook: String?
        /// The hook priority of a base chain (`filter` is 0, `srcnat` 100).
        public var priority: Int?
        /// "accept" / "drop" for base chains.
        public var policy: String?
        public var rules: [Rule]
        /// Whether this dump's rule texts were read (found or not): they are read once per dump.
        public var ruleTextsRead = false

        public func rule(handle: UInt64) -> Rule? { rules.first { $0.handle == handle } }
    }

    /// A named set or map.
    public struct NamedSet: Sendable, Equatable {
        public var family: NFTFamily
        public var table: String
        public var name: String
        public var handle: UInt64
        /// As nft writes it: "ipv4_addr", "ipv4_addr . inet_service" for a concatenation.
        public var type: String?
        /// A map's value type ("verdict"); nil for a set.
        public var valueType: String?
        /// The elements as nft's JSON has them; nil when it printed none.
        public var elements: [JSONValue]?
        public var comment: String?

        public var isMap: Bool { valueType != nil }
    }

    public var tables: [Table] = []
    public var chains: [Chain] = []
    public var sets: [NamedSet] = []

    public init() {}

    /// From `nft -j list ruleset` (or `list tables`, `list table …`). Objects of a family nft
    /// has but hoptrace does not know, and rules of a chain not listed, are left out.
    /// - Throws: `DecodingError` when the data is not nft's JSON.
    public init(json: Data) throws {
        let document = try JSONDecoder().decode(NFTJSON.Document.self, from: json)
        self.init(document)
    }

    public init(_ document: NFTJSON.Document) {
        // Rules name their chain; a big ruleset (kube-proxy's) has thousands of chains.
        var chainAt: [ChainKey: Int] = [:]
        for object in document.objects {
            switch object {
            case .table(let t):
                guard let family = NFTFamily(name: t.family) else { continue }
                tables.append(Table(family: family, name: t.name, handle: t.handle, comment: t.comment))
            case .chain(let c):
                guard let family = NFTFamily(name: c.family) else { continue }
                let key = ChainKey(family: family, table: c.table, name: c.name)
                guard chainAt[key] == nil else { continue }
                chainAt[key] = chains.count
                chains.append(Chain(family: family, table: c.table, name: c.name, handle: c.handle, type: c.type,
                                    hook: c.hook, priority: c.prio?.integerValue.flatMap { Int(exactly: $0) },
                                    policy: c.policy, rules: []))
            case .rule(let r):
                guard let family = NFTFamily(name: r.family),
                      let i = chainAt[ChainKey(family: family, table: r.table, name: r.chain)] else { continue }
                chains[i].rules.append(Rule(handle: r.handle, text: nil, expr: r.expr, comment: r.comment))
            case .set(let s), .map(let s):
                guard let family = NFTFamily(name: s.family) else { continue }
                sets.append(NamedSet(family: family, table: s.table, name: s.name, handle: s.handle,
                                     type: s.type.flatMap(Self.typeName), valueType: s.map.flatMap(Self.typeName),
                                     elements: s.elem, comment: s.comment))
            case .metainfo, .other:
                continue
            }
        }
    }

    private struct ChainKey: Hashable {
        var family: NFTFamily
        var table: String
        var name: String
    }

    /// "ipv4_addr", or `["ipv4_addr", "inet_service"]` as nft prints a concatenation.
    private static func typeName(_ v: JSONValue) -> String? {
        if let s = v.stringValue { return s }
        guard let parts = v.arrayValue?.compactMap(\.stringValue), !parts.isEmpty else { return nil }
        return parts.joined(separator: " . ")
    }

    public func chain(family: NFTFamily?, table: String, name: String) -> Chain? {
        chains.first { $0.family == family && $0.table == table && $0.name == name }
    }

    /// Rule `handle` of (family, table, chain), or nil when the dump lacks it.
    public func rule(family: NFTFamily?, table: String, chain: String, handle: UInt64) -> Rule? {
        self.chain(family: family, table: table, name: chain)?.rule(handle: handle)
    }

    /// The text of rule `handle` in (family, table, chain), or nil when it is unknown.
    public func ruleText(family: NFTFamily?, table: String, chain: String, handle: UInt64) -> String? {
        rule(family: family, table: table, chain: chain, handle: handle)?.text
    }

    public func set(family: NFTFamily, table: String, name: String) -> NamedSet? {
        sets.first { $0.family == family && $0.table == table && $0.name == name }
    }

    /// Whether rules of the table come from iptables-nft (its tables carry the familiar names).
    public var hasIptablesNFTTables: Bool {
        tables.contains { ($0.family == .ip || $0.family == .ip6) && ["filter", "nat", "mangle", "raw", "security"].contains($0.name) }
    }

    // MARK: - Rule texts, read when needed

    /// The chain whose rule texts `e` needs and this dump has not read yet: `e` reports a rule
    /// this dump has (a rule unknown to it needs a new dump first, `RulePathBuilder.needsRuleset`),
    /// not in one of hoptrace's own tables. nil otherwise.
    public func chainAwaitingRuleTexts(for e: TraceEvent) -> Chain? {
        guard e.kind == .rule, let handle = e.ruleHandle, !e.table.hasPrefix(TraceTable.namePrefix),
              let c = chain(family: e.family, table: e.table, name: e.chain),
              !c.ruleTextsRead, c.rule(handle: handle) != nil
        else { return nil }
        return c
    }

    /// Records a chain's rule texts (`NFTListing.ruleTexts`) and that they were read. Texts of
    /// handles this dump lacks are ignored: a rule added since the dump is read with the next.
    public mutating func setRuleTexts(_ texts: [UInt64: String], family: NFTFamily, table: String, chain: String) {
        guard let i = chains.firstIndex(where: { $0.family == family && $0.table == table && $0.name == chain }) else { return }
        chains[i].ruleTextsRead = true
        for j in chains[i].rules.indices {
            chains[i].rules[j].text = texts[chains[i].rules[j].handle]
        }
    }

    /// Reads the rule texts of the chain `e` names, if it needs them (`chainAwaitingRuleTexts`).
    /// `list` returns the chain's `nft -a -s list chain` text, or nil when nft could not list it
    /// (its texts then stay unknown until the next dump).
    public mutating func loadRuleTexts(for e: TraceEvent, list: (Chain) -> String?) {
        guard let c = chainAwaitingRuleTexts(for: e) else { return }
        let texts = list(c).map { NFTListing.ruleTexts(in: $0) } ?? [:]
        setRuleTexts(texts, family: c.family, table: c.table, chain: c.name)
    }
}
