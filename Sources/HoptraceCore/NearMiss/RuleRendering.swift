/// Rules back into nft's syntax, as `nft list` prints them: the corrected rule a near miss
/// proposes (`oifname "enX0" masquerade`), for `nft replace rule … handle N`.
public enum RuleRendering {
    /// The statements as one rule; nil when one of them cannot be written (not modeled, or an
    /// xt target whose arguments nft's JSON lacks).
    public static func text(_ statements: [RuleStatement], comment: String? = nil) -> String? {
        var words: [String] = []
        for s in statements {
            switch s {
            case .test(let t) where t.isImplied: continue
            case .test(let t):
                guard RuleText.writable(t.value) else { return nil }
                words.append(RuleText.test(t))
            case .verdict(let v):
                guard let text = v.text else { return nil }
                words.append(text)
            case .noEffect(let text):
                guard let text else { return nil }
                if !text.isEmpty { words.append(text) }
            case .notModeled: return nil
            }
        }
        if let comment {
            guard RuleText.writable(comment) else { return nil }
            words.append("comment \(RuleText.quoted(comment))")
        }
        return words.joined(separator: " ")
    }

    /// The rule with each of `fields` set to the packet's value: a prefix keeps its length
    /// (10.0.1.0/24 → 10.0.0.0/24), a set or list gains the value, a single value is replaced.
    /// nil when one cannot be corrected that way: a negated or ordered test (`!=`, `<`), a named
    /// set (the fix is an element), whether an address is local, the conntrack status.
    public static func corrected(_ evaluation: RuleEvaluation, fields: [FieldEvaluation], packet: RulePacket,
                                 comment: String? = nil) -> String? {
        var statements = evaluation.statements
        for f in fields {
            guard let t = f.test, let fixed = t.corrected(to: packet) else { return nil }
            statements[f.statementIndex] = .test(fixed)
        }
        guard let relabeled = relabelingHeaders(statements) else { return nil }
        return text(relabeled, comment: comment)
    }

    /// After an implied protocol test was corrected (tcp → udp), the header tests that imply it
    /// say the new protocol: `udp dport 53`. nil when the new protocol has no ports.
    static func relabelingHeaders(_ statements: [RuleStatement]) -> [RuleStatement]? {
        var out = statements
        var impliedProtocol: UInt8?
        for (i, s) in statements.enumerated() {
            guard case .test(var t) = s else { continue }
            if t.isImplied, case .number(let p) = t.value {
                impliedProtocol = UInt8(exactly: p)
                continue
            }
            guard let p = impliedProtocol, let header = t.label.split(separator: " ").first,
                  let implied = RuleLeft.portHeaders[String(header)] ?? nil, implied != p else { continue }
            let name = NFTSymbols.l4protoName(p)
            guard t.field == .sport || t.field == .dport, RuleLeft.portHeaders[name] != nil else { return nil }
            t.label = "\(name) \(t.field.rawValue)"
            out[i] = .test(t)
        }
        return out
    }
}
