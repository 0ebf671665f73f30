/// Where a rule lives, for reading it: the named sets of its table, and which of nft's two
/// descriptions of it to trust.
struct RuleContext {
    let ruleset: NFTRuleset
    let family: NFTFamily
    let table: String

    /// The elements of set `name` in this table, typed for `field`; nil for a map, a
    /// concatenation, a set this dump lacks, or an element hoptrace cannot read. An empty set
    /// (nft prints no `elem`) matches nothing, which is an answer.
    func namedSet(_ name: String, field: RuleField) -> [MatchValue]? {
        guard let s = ruleset.set(family: family, table: table, name: name), !s.isMap,
              !(s.type ?? "").contains(" . ") else { return nil }
        var values: [MatchValue] = []
        for e in s.elements ?? [] {
            guard let v = RuleJSON.value(e, for: field, context: self) else { return nil }
            values.append(v)
        }
        return values
    }

    /// The rule's statements. nft's JSON names an iptables-nft `xt` match or target without its
    /// arguments, while nft's text of the same rule has libxtables' translation of them
    /// (`ct state related,established`, `fib daddr type local`, `dnat to 172.17.0.2:80`). So a
    /// rule with `xt` parts is read from its text when that text parses whole; when it does not
    /// (nft printed `xt match "recent"`: no translation), the JSON's reading stands and those
    /// parts are not evaluated.
    func statements(of rule: NFTRuleset.Rule) -> [RuleStatement] {
        let fromJSON = RuleJSON.statements(rule.expr, context: self)
        guard rule.expr.contains(where: { $0["xt"] != nil }), let text = rule.text,
              let fromText = RuleTextParser.statements(text, context: self) else { return fromJSON }
        return fromText
    }
}
