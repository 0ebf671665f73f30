/// Reads a rule from nft's text of it (`nft -a -s list chain`, without the handle), for the
/// rules whose JSON lacks the arguments of iptables-nft's xt matches (see `RuleContext`).
/// Only the clauses of `RuleJSON`'s model are understood, all or nothing: a word it does not
/// know (`xt`, `limit`, `fib daddr . iif`) makes the whole text unreadable (nil), so that
/// nothing is read half and guessed.
enum RuleTextParser {
    static func statements(_ text: String, context: RuleContext) -> [RuleStatement]? {
        guard let tokens = tokens(text) else { return nil }
        var p = Parser(tokens: tokens, context: context)
        return p.statements()
    }

    enum Token: Equatable {
        case word(String)
        case quoted(String)
        case open, close, comma
    }

    /// Words, `"quoted"` strings (nft escapes `"` as `\"`), braces and commas.
    static func tokens(_ text: String) -> [Token]? {
        var out: [Token] = []
        var chars = Array(text)[...]
        while let c = chars.first {
            switch c {
            case " ", "\t": chars.removeFirst()
            case "{": out.append(.open); chars.removeFirst()
            case "}": out.append(.close); chars.removeFirst()
            case ",": out.append(.comma); chars.removeFirst()
            case "\"":
                chars.removeFirst()
                var s = ""
                while true {
                    guard let d = chars.popFirst() else { return nil }
                    if d == "\"" { break }
                    if d == "\\", let e = chars.popFirst() { s.append(e) } else { s.append(d) }
                }
                out.append(.quoted(s))
            default:
                var w = ""
                while let d = chars.first, !" \t{},\"".contains(d) { w.append(d); chars.removeFirst() }
                out.append(.word(w))
            }
        }
        return out
    }

    private struct Parser {
        var tokens: [Token]
        let context: RuleContext
        var i = 0
        var out: [RuleStatement] = []

        init(tokens: [Token], context: RuleContext) {
            self.tokens = tokens
            self.context = context
        }

        var peek: Token? { i < tokens.count ? tokens[i] : nil }
        var peekWord: String? { if case .word(let w)? = peek { w } else { nil } }

        mutating func word() -> String? {
            guard let w = peekWord else { return nil }
            i += 1
            return w
        }

        mutating func expect(_ w: String) -> Bool {
            guard peekWord == w else { return false }
            i += 1
            return true
        }

        mutating func statements() -> [RuleStatement]? {
            while i < tokens.count {
                guard let w = word(), clause(w) else { return nil }
            }
            return out
        }

        /// One clause starting with `w`; false for anything outside the model.
        mutating func clause(_ w: String) -> Bool {
            switch w {
            case "iifname", "oifname", "iif", "oif":
                guard let field = RuleField(rawValue: w) else { return false }
                return test(RuleLeft(field: field, label: w))
            case "mark":
                return test(RuleLeft(field: .mark, label: "meta mark"))
            case "meta":
                guard let key = word() else { return false }
                switch key {
                case "l4proto": return test(RuleLeft(field: .l4proto, label: "meta l4proto"))
                case "nfproto": return test(RuleLeft(field: .nfproto, label: "meta nfproto"))
                case "mark": return test(RuleLeft(field: .mark, label: "meta mark"))
                case "iifname", "oifname", "iif", "oif":
                    guard let field = RuleField(rawValue: key) else { return false }
                    return test(RuleLeft(field: field, label: key))
                default: return false
                }
            case "ip", "ip6":
                switch word() {
                case "saddr": return test(RuleLeft(field: .saddr, label: "\(w) saddr"))
                case "daddr": return test(RuleLeft(field: .daddr, label: "\(w) daddr"))
                case "protocol" where w == "ip": return test(RuleLeft(field: .l4proto, label: "ip protocol"))
                default: return false
                }
            case "icmp", "icmpv6":
                guard expect("type") else { return false }
                let v6 = w == "icmpv6"
                return test(RuleLeft(field: v6 ? .icmpv6Type : .icmpType, label: "\(w) type",
                                     impliedProtocol: v6 ? IPProtocol.icmpv6 : IPProtocol.icmp))
            case _ where RuleLeft.portHeaders[w] != nil:
                guard let implied = RuleLeft.portHeaders[w], let f = word(), f == "sport" || f == "dport" else { return false }
                return test(RuleLeft(field: f == "sport" ? .sport : .dport, label: "\(w) \(f)", impliedProtocol: implied))
            case "ct":
                switch word() {
                case "state": return test(RuleLeft(field: .ctState, label: "ct state"))
                case "status": return test(RuleLeft(field: .ctStatus, label: "ct status"))
                default: return false
                }
            case "fib":
                guard let which = word(), which == "saddr" || which == "daddr", expect("type") else { return false }
                return test(RuleLeft(field: which == "daddr" ? .daddrType : .saddrType, label: "fib \(which) type"))
            case "counter":
                // `nft list` without -s prints the counter's values.
                if expect("packets") { guard word() != nil, expect("bytes"), word() != nil else { return false } }
                out.append(.noEffect("counter"))
                return true
            case "log":
                var s = "log"
                var writable = true
                while let option = peekWord, option == "prefix" || option == "level" {
                    i += 1
                    switch peek {
                    case .quoted(let q)?:
                        writable = writable && RuleText.writable(q)
                        s += " \(option) \(RuleText.quoted(q))"
                    case .word(let v)?: s += " \(option) \(v)"
                    default: return false
                    }
                    i += 1
                }
                // A prefix holding a quote has no nft spelling (no escapes): the rule cannot be written back.
                out.append(.noEffect(writable ? s : nil))
                return true
            case "comment":
                // The rule's comment: `RuleRendering` prints it from the rule.
                guard case .quoted? = peek else { return false }
                i += 1
                out.append(.noEffect(""))
                return true
            case "accept", "drop", "return", "continue":
                guard let kind = RuleVerdict.Kind(rawValue: w) else { return false }
                out.append(.verdict(RuleVerdict(kind)))
                return true
            case "jump", "goto":
                guard let target = word() else { return false }
                out.append(.verdict(RuleVerdict(w == "jump" ? .jump : .goto, target)))
                return true
            case "reject", "queue", "masquerade", "snat", "dnat", "redirect":
                var args: [String] = []
                while let a = peekWord, a != "comment" { args.append(a); i += 1 }
                guard peek == nil || peekWord == "comment", let kind = RuleVerdict.Kind(rawValue: w) else { return false }
                out.append(.verdict(RuleVerdict(kind, args.joined(separator: " "))))
                return true
            default:
                return false
            }
        }

        /// `[op] value`: the op nft leaves out is equality, or for flags "any of" (`ct state new`).
        mutating func test(_ left: RuleLeft) -> Bool {
            var op: MatchOp?
            if let w = peekWord, let o = MatchOp(rawValue: w), o != .anyOf {
                op = o
                i += 1
            }
            guard let value = value(for: left.field) else { return false }
            if let p = left.impliedProtocol,
               !out.contains(where: { if case .test(let t) = $0 { t.field == .l4proto } else { false } }) {
                out.append(.test(RuleTest(field: .l4proto, label: "meta l4proto", op: .eq, value: .number(UInt32(p)), isImplied: true)))
            }
            let implicit: MatchOp = if left.field.isFlags, case .set = value { .eq } else if left.field.isFlags { .anyOf } else { .eq }
            out.append(.test(RuleTest(field: left.field, label: left.label, op: op ?? implicit, value: value)))
            return true
        }

        mutating func value(for field: RuleField) -> MatchValue? {
            if peek == .open {
                i += 1
                var elements: [MatchValue] = []
                while true {
                    guard let e = element(for: field) else { return nil }
                    elements.append(e)
                    if peek == .comma { i += 1; continue }
                    guard peek == .close else { return nil }
                    i += 1
                    return .set(elements)
                }
            }
            guard let first = element(for: field) else { return nil }
            guard peek == .comma else { return first }
            guard field.isFlags, case .name(let name) = first else { return nil }
            var names = [name]
            while peek == .comma {
                i += 1
                guard case .name(let n)? = element(for: field) else { return nil }
                names.append(n)
            }
            return .flags(names)
        }

        /// One value: an address, prefix or range; a number, name or range; a quoted name; `@set`.
        mutating func element(for field: RuleField) -> MatchValue? {
            let text: String
            switch peek {
            case .word(let w)?: text = w
            case .quoted(let q)?:
                i += 1
                return field.isInterface ? .name(q) : nil
            default: return nil
            }
            i += 1
            if text.hasPrefix("@") {
                let name = String(text.dropFirst())
                return .namedSet(name, elements: context.namedSet(name, field: field))
            }
            if field.isAddress {
                if let slash = text.firstIndex(of: "/") {
                    guard let a = IPAddress(String(text[..<slash])), let len = Int(text[text.index(after: slash)...]) else { return nil }
                    return IPPrefix(a, length: len).map(MatchValue.prefix)
                }
                if let dash = text.firstIndex(of: "-") {
                    guard let a = IPAddress(String(text[..<dash])), let b = IPAddress(String(text[text.index(after: dash)...])) else { return nil }
                    return .addressRange(a, b)
                }
                return IPAddress(text).map(MatchValue.address)
            }
            if [.sport, .dport, .mark].contains(field), let dash = text.firstIndex(of: "-") {
                guard let a = Self.number(text[..<dash]), let b = Self.number(text[text.index(after: dash)...]) else { return nil }
                return .numberRange(a, b)
            }
            if [.sport, .dport, .mark].contains(field) { return Self.number(Substring(text)).map(MatchValue.number) }
            return RuleJSON.scalar(.string(text), for: field)
        }

        /// Decimal, or hexadecimal as nft prints marks (`0x0000002a`).
        static func number(_ s: Substring) -> UInt32? {
            s.hasPrefix("0x") ? UInt32(s.dropFirst(2), radix: 16) : UInt32(s)
        }
    }
}
