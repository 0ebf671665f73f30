/// Values as nft prints them in a rule (`nft` form, names quoted) and as a verdict shows them
/// to a person (names bare): "10.0.1.0/24", "{ 80, 443 }", "established,related", "@allowed".
enum RuleText {
    /// nft's scanner reads a quoted string up to the next quote, with no escapes: a name holding
    /// a quote cannot be written back, and `RuleRendering` gives no text for such a rule.
    static func quoted(_ s: String) -> String { "\"" + s + "\"" }

    static func writable(_ s: String) -> Bool { !s.contains("\"") && !s.contains(where: { $0.isNewline }) }

    static func writable(_ v: MatchValue) -> Bool {
        switch v {
        case .name(let s): writable(s)
        case .set(let elements): elements.allSatisfy(writable)
        default: true
        }
    }

    static func value(_ v: MatchValue, field: RuleField, quoteNames: Bool) -> String {
        switch v {
        case .address(let a): a.description
        case .prefix(let p): p.description
        case .addressRange(let a, let b): "\(a)-\(b)"
        case .number(let n): number(n, field: field)
        case .numberRange(let a, let b): "\(number(a, field: field))-\(number(b, field: field))"
        case .name(let s): quoteNames && field.isInterface ? quoted(s) : s
        case .set(let elements): "{ " + elements.map { value($0, field: field, quoteNames: quoteNames) }.joined(separator: ", ") + " }"
        case .flags(let names): names.joined(separator: ",")
        case .namedSet(let name, _): "@\(name)"
        }
    }

    /// Protocols and ICMP types by nft's names, marks in nft's hexadecimal, ports in decimal.
    static func number(_ n: UInt32, field: RuleField) -> String {
        switch field {
        case .l4proto: n <= UInt8.max ? NFTSymbols.l4protoName(UInt8(n)) : String(n)
        case .icmpType, .icmpv6Type: n <= UInt8.max ? NFTSymbols.icmpTypeName(UInt8(n), v6: field == .icmpv6Type) : String(n)
        case .mark: mark(n)
        default: String(n)
        }
    }

    static func mark(_ n: UInt32) -> String {
        let hex = String(n, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }

    /// `label op value` as nft prints a test; the op nft leaves out is left out.
    static func test(_ t: RuleTest) -> String {
        let op = t.op == .eq || t.op == .anyOf ? "" : "\(t.op.rawValue) "
        return "\(t.label) \(op)\(value(t.value, field: t.field, quoteNames: true))"
    }
}
