/// A rule's statements from nft's JSON (libnftables-json(5)), as `RuleStatement`s. What it does
/// not know becomes `.notModeled` with a short name, never a guess: iptables-nft's `xt`
/// matches (nft's JSON gives only their names), `limit`, `meter`, verdict maps, raw payloads.
enum RuleJSON {
    static func statements(_ expr: [JSONValue], context: RuleContext) -> [RuleStatement] {
        var out: [RuleStatement] = []
        for s in expr {
            guard case .object(let o) = s, o.count == 1, let (key, body) = o.first else {
                out.append(.notModeled("a statement of an unknown shape", mayEndChain: true))
                continue
            }
            switch key {
            case "match": out += match(body, context: context, earlier: out)
            case "counter": out.append(.noEffect("counter"))
            case "log": out.append(.noEffect(logText(body)))
            case "mangle": out.append(mangle(body))
            case "xt": out.append(xt(body))
            case "accept", "drop", "return", "continue", "masquerade", "snat", "dnat", "redirect":
                guard let kind = RuleVerdict.Kind(rawValue: key) else { continue }
                out.append(.verdict(RuleVerdict(kind, [.masquerade, .snat, .dnat, .redirect].contains(kind) ? natArguments(body) : "")))
            case "jump", "goto":
                guard let target = body["target"]?.stringValue else {
                    out.append(.notModeled("\(key) to a computed chain", mayEndChain: true))
                    continue
                }
                out.append(.verdict(RuleVerdict(key == "jump" ? .jump : .goto, target)))
            case "reject": out.append(.verdict(RuleVerdict(.reject, rejectArguments(body))))
            case "queue": out.append(.verdict(RuleVerdict(.queue, body == .null ? "" : nil)))
            case "limit": out.append(.notModeled("limit rate", mayEndChain: false))
            case "vmap": out.append(.notModeled("verdict map", mayEndChain: true))
            default: out.append(.notModeled(key, mayEndChain: !nonVerdictStatements.contains(key)))
            }
        }
        return out
    }

    /// Statements hoptrace does not model that are known not to end a chain (libnftables-json(5));
    /// any other unknown one (synproxy, tproxy, fwd, a later version's) might.
    static let nonVerdictStatements: Set<String> = [
        "quota", "meter", "set", "map", "notrack", "ct helper", "ct timeout", "ct expectation", "flow", "connlimit",
        "last", "dup", "secmark",
    ]

    // MARK: - Matches

    /// A `match`, after the implied protocol test nft adds for a header (`tcp dport` needs
    /// `meta l4proto tcp`) unless the rule already tests the protocol.
    private static func match(_ body: JSONValue, context: RuleContext, earlier: [RuleStatement]) -> [RuleStatement] {
        guard let left = body["left"], let right = body["right"], let opText = body["op"]?.stringValue else {
            return [.notModeled("a match of an unknown shape", mayEndChain: false)]
        }
        let field: RuleLeft
        switch RuleLeft.parse(left) {
        case .success(let f): field = f
        case .failure(let unknown): return [.notModeled(unknown.what, mayEndChain: false)]
        }
        guard let op = MatchOp(rawValue: opText) else { return [.notModeled("\(field.label) \(opText)", mayEndChain: false)] }
        guard let value = value(right, for: field.field, context: context) else {
            return [.notModeled("\(field.label) with a value hoptrace does not read", mayEndChain: false)]
        }
        var out: [RuleStatement] = []
        if let p = field.impliedProtocol, !earlier.contains(where: { if case .test(let t) = $0 { t.field == .l4proto } else { false } }) {
            out.append(.test(RuleTest(field: .l4proto, label: "meta l4proto", op: .eq, value: .number(UInt32(p)), isImplied: true)))
        }
        out.append(.test(RuleTest(field: field.field, label: field.label, op: op, value: value)))
        return out
    }

    /// The right side of a match (or a set's element), typed by the field it is compared with.
    static func value(_ j: JSONValue, for field: RuleField, context: RuleContext) -> MatchValue? {
        if let wrapped = j["elem"]?["val"] { return value(wrapped, for: field, context: context) }
        if let s = j.stringValue, s.hasPrefix("@") {
            let name = String(s.dropFirst())
            return .namedSet(name, elements: context.namedSet(name, field: field))
        }
        if let p = j["prefix"] {
            guard field.isAddress, let a = p["addr"]?.stringValue.flatMap(IPAddress.init),
                  let len = p["len"]?.integerValue, let prefix = IPPrefix(a, length: Int(len)) else { return nil }
            return .prefix(prefix)
        }
        if let r = j["range"]?.arrayValue, r.count == 2 {
            switch (scalar(r[0], for: field), scalar(r[1], for: field)) {
            case (.address(let a)?, .address(let b)?): return .addressRange(a, b)
            case (.number(let a)?, .number(let b)?): return .numberRange(a, b)
            default: return nil
            }
        }
        if let elements = j["set"]?.arrayValue {
            let values = elements.compactMap { value($0, for: field, context: context) }
            return values.count == elements.count ? .set(values) : nil
        }
        if let list = j.arrayValue {
            let names = list.compactMap(\.stringValue)
            guard field.isFlags, names.count == list.count, names.allSatisfy({ scalar(.string($0), for: field) != nil }) else { return nil }
            return .flags(names)
        }
        return scalar(j, for: field)
    }

    static func scalar(_ j: JSONValue, for field: RuleField) -> MatchValue? {
        let number = j.integerValue.flatMap { UInt32(exactly: $0) }
        switch field {
        case .saddr, .daddr:
            return j.stringValue.flatMap(IPAddress.init).map(MatchValue.address)
        case .sport, .dport, .mark:
            return number.map(MatchValue.number)
        case .l4proto:
            return (number ?? j.stringValue.flatMap(NFTSymbols.l4proto).map(UInt32.init)).map(MatchValue.number)
        case .icmpType, .icmpv6Type:
            let v6 = field == .icmpv6Type
            return (number ?? j.stringValue.flatMap { NFTSymbols.icmpType($0, v6: v6) }.map(UInt32.init)).map(MatchValue.number)
        case .iifname, .oifname, .iif, .oif, .saddrType, .daddrType:
            // An interface nft could not name (it is gone) prints as its index: not modeled.
            return j.stringValue.map(MatchValue.name)
        case .ctState:
            return j.stringValue.flatMap(NFTSymbols.ctState).map { .name($0.rawValue) }
        case .ctStatus:
            return j.stringValue.flatMap { NFTSymbols.ctStatus[$0] == nil ? nil : .name($0) }
        case .nfproto:
            return j.stringValue.flatMap { ["ipv4", "ipv6"].contains($0) ? .name($0) : nil }
        }
    }

    // MARK: - Other statements

    private static func xt(_ body: JSONValue) -> RuleStatement {
        let name = body["name"]?.stringValue ?? "?"
        switch (body["type"]?.stringValue, name) {
        case ("match", "comment"): return .noEffect(nil)
        case ("target", "LOG"), ("target", "NFLOG"): return .noEffect(nil)
        // The kind is in the name; the arguments (--to-destination) are not in the JSON.
        case ("target", "MASQUERADE"): return .verdict(RuleVerdict(.masquerade, nil))
        case ("target", "SNAT"): return .verdict(RuleVerdict(.snat, nil))
        case ("target", "DNAT"): return .verdict(RuleVerdict(.dnat, nil))
        case ("target", "REDIRECT"): return .verdict(RuleVerdict(.redirect, nil))
        case ("target", "REJECT"): return .verdict(RuleVerdict(.reject, nil))
        case ("target", _): return .notModeled("xt target \(name)", mayEndChain: true)
        default: return .notModeled("xt match \(name)", mayEndChain: false)
        }
    }

    /// `meta nftrace set 1` (hoptrace's own trace rules) changes nothing a rule tests.
    private static func mangle(_ body: JSONValue) -> RuleStatement {
        let key = body["key"]
        if key?["meta"]?["key"]?.stringValue == "nftrace", let v = body["value"]?.integerValue {
            return .noEffect("meta nftrace set \(v)")
        }
        let what = key.map { RuleLeft.describe($0) } ?? "a field"
        return .notModeled("sets \(what)", mayEndChain: false)
    }

    private static func logText(_ body: JSONValue) -> String? {
        if body == .null { return "log" }
        guard case .object(let o) = body, Set(o.keys).isSubset(of: ["prefix", "level"]) else { return nil }
        var s = "log"
        if let p = o["prefix"]?.stringValue {
            // nft strings have no escapes: a prefix holding a quote cannot be written back.
            guard RuleText.writable(p) else { return nil }
            s += " prefix \(RuleText.quoted(p))"
        }
        if let l = o["level"]?.stringValue { s += " level \(l)" }
        return s
    }

    /// "with tcp reset", "with icmp admin-prohibited"; "" for port-unreachable, the default nft prints bare.
    private static func rejectArguments(_ body: JSONValue) -> String? {
        if body == .null { return "" }
        guard let type = body["type"]?.stringValue else { return nil }
        guard let code = body["expr"]?.stringValue else { return "with \(type)" }
        return code == "port-unreachable" ? "" : "with \(type) \(code)"
    }

    /// "to 10.0.0.2:80", "to :80", "ip to 10.0.0.2"; nil for what this does not print (ranges, maps, flags).
    private static func natArguments(_ body: JSONValue) -> String? {
        if body == .null { return "" }
        guard case .object(let o) = body, Set(o.keys).isSubset(of: ["addr", "port", "family"]) else { return nil }
        var addr = ""
        if let a = o["addr"] {
            guard let s = a.stringValue, IPAddress(s) != nil else { return nil }
            addr = s
        }
        var port = ""
        if let p = o["port"] {
            guard let n = p.integerValue else { return nil }
            port = ":\(n)"
            if addr.contains(":") { addr = "[\(addr)]" }
        }
        let family = o["family"]?.stringValue.map { "\($0) " } ?? ""
        return "\(family)to \(addr)\(port)"
    }
}
