/// A test against a packet: nft's comparison (`==` a value, set, range or prefix; `!=`; flags;
/// `<`…), or "cannot tell" when the hook does not know the field.
extension RuleTest {
    func evaluate(_ p: RulePacket, statementIndex: Int) -> FieldEvaluation {
        let key = packetKey(p)
        let answer: Answer
        switch key {
        case .failure(let unknown): answer = .unknown(unknown.reason)
        case .success(.absent): answer = .no
        case .success(let k): answer = decide(k)
        }
        let result: FieldEvaluation.Result = switch answer {
        case .yes: .matched
        case .no: .differs
        case .unknown(let why): .notEvaluated(why)
        }
        return FieldEvaluation(field: label, op: op, ruleValue: RuleText.value(value, field: field, quoteNames: false),
                               packetValue: (try? key.get()).map { $0.text(field: field) }, result: result,
                               statementIndex: statementIndex, test: self)
    }

    enum Answer: Equatable {
        case yes, no
        case unknown(String)

        var negated: Answer {
            switch self {
            case .yes: .no
            case .no: .yes
            case .unknown: self
            }
        }
    }

    /// The packet's side of the test.
    enum PacketKey: Equatable {
        case address(IPAddress)
        case number(UInt32)
        case name(String)
        case bits(UInt32)
        case local(Bool)
        /// The packet has no such header (ports of ICMP): every test of it fails.
        case absent

        func text(field: RuleField) -> String {
            switch self {
            case .address(let a): a.description
            case .number(let n): RuleText.number(n, field: field)
            case .name(let s): s
            case .bits(let b) where field == .ctState: CtState.allCases.first { $0.bit == b }?.rawValue ?? String(b)
            case .bits(let b):
                NFTSymbols.ctStatus.filter { $0.value.rawValue & b != 0 }.map(\.key).sorted().joined(separator: ",").nonEmpty ?? "none"
            case .local(let l): l ? "local" : "not local"
            case .absent: "none"
            }
        }
    }

    struct Unknown: Error { var reason: String }

    func packetKey(_ p: RulePacket) -> Result<PacketKey, Unknown> {
        func known<T>(_ v: T?, _ what: String, _ key: (T) -> PacketKey) -> Result<PacketKey, Unknown> {
            v.map { .success(key($0)) } ?? .failure(Unknown(reason: "\(what) is unknown at this hook"))
        }
        switch field {
        case .saddr: return .success(.address(p.saddr))
        case .daddr: return .success(.address(p.daddr))
        case .l4proto: return .success(.number(UInt32(p.l4proto)))
        case .nfproto: return .success(.name(p.isIPv6 ? "ipv6" : "ipv4"))
        case .sport, .dport:
            let port = field == .sport ? p.sport : p.dport
            if let port { return .success(.number(UInt32(port))) }
            guard !p.hasPorts else { return .failure(Unknown(reason: "the packet's ports are unknown")) }
            // `th` reads the bytes where ports would be, whatever the header: not modeled.
            if label.hasPrefix("th ") { return .failure(Unknown(reason: "th on a transport without ports")) }
            return .success(.absent)
        case .icmpType, .icmpv6Type:
            let proto = field == .icmpType ? IPProtocol.icmp : IPProtocol.icmpv6
            guard p.l4proto == proto else { return .success(.absent) }
            return known(p.icmpType, "the ICMP type") { .number(UInt32($0)) }
        case .iifname, .iif: return known(p.iifname, "the input interface") { .name($0) }
        case .oifname, .oif: return known(p.oifname, "the output interface") { .name($0) }
        case .ctState: return known(p.ctState, "the conntrack state") { .bits($0.bit) }
        case .ctStatus: return known(p.ctStatus, "the conntrack status") { .bits($0.rawValue) }
        case .mark: return known(p.mark, "the mark") { .number($0) }
        case .daddrType: return known(p.isLocalDestination, "whether the destination is local") { .local($0) }
        case .saddrType: return known(p.isLocalSource, "whether the source is local") { .local($0) }
        }
    }

    func decide(_ k: PacketKey) -> Answer {
        switch op {
        case .eq: return contains(value, k)
        case .ne: return contains(value, k).negated
        case .anyOf:
            // nft's implicit test of flags: any bit in common.
            guard field.isFlags, case .bits(let b) = k else { return contains(value, k) }
            guard let mask = Self.bits(value, field: field) else { return .unknown("\(label) with a value hoptrace does not read") }
            return b & mask != 0 ? .yes : .no
        case .lt, .gt, .le, .ge:
            guard case .number(let n) = value, case .number(let x) = k else {
                return .unknown("\(label) \(op.rawValue) with a value hoptrace does not read")
            }
            let r = switch op {
            case .lt: x < n
            case .gt: x > n
            case .le: x <= n
            default: x >= n
            }
            return r ? .yes : .no
        }
    }

    /// Whether the packet's value equals the rule's or is in its set, range or prefix.
    func contains(_ v: MatchValue, _ k: PacketKey) -> Answer {
        switch (v, k) {
        case (.address(let a), .address(let x)): return a == x ? .yes : .no
        case (.prefix(let prefix), .address(let x)): return prefix.contains(x) ? .yes : .no
        case (.addressRange(let a, let b), .address(let x)):
            return Self.lessOrEqual(a, x) && Self.lessOrEqual(x, b) ? .yes : .no
        case (.number(let n), .number(let x)): return n == x ? .yes : .no
        case (.numberRange(let a, let b), .number(let x)): return (a...b).contains(x) ? .yes : .no
        case (.name(let s), .name(let x)):
            return (field == .iifname || field == .oifname ? Self.interfaceName(x, matches: s) : s == x) ? .yes : .no
        case (.name, .bits(let x)), (.flags, .bits(let x)):
            // `==` compares the whole word: established is not established|related.
            guard let mask = Self.bits(v, field: field) else { return .unknown("\(label) with a value hoptrace does not read") }
            return mask == x ? .yes : .no
        case (.name(let type), .local(let isLocal)):
            // The packet is known local or not; of the other types (unicast, broadcast…) nothing.
            if type == "local" { return isLocal ? .yes : .no }
            return isLocal ? .no : .unknown("fib type \(type): hoptrace knows only whether the address is local")
        case (.set(let elements), _), (.namedSet(_, elements: let elements?), _):
            var answer = Answer.no
            for e in elements {
                switch contains(e, k) {
                case .yes: return .yes
                case .no: continue
                case .unknown(let why): answer = .unknown(why)
                }
            }
            return answer
        case (.namedSet(let name, elements: nil), _):
            return .unknown("set @\(name) is not one hoptrace can read")
        default:
            return .unknown("\(label) compared with a value of another kind")
        }
    }

    /// nft's interface wildcard: a trailing `*` matches any suffix (iptables' `docker+`); `\*` is a star.
    static func interfaceName(_ name: String, matches pattern: String) -> Bool {
        if pattern.hasSuffix("\\*") { return name == String(pattern.dropLast(2)) + "*" }
        if pattern.hasSuffix("*") { return name.hasPrefix(pattern.dropLast()) }
        return name == pattern
    }

    /// The bits of ct state or status names.
    static func bits(_ v: MatchValue, field: RuleField) -> UInt32? {
        func bit(_ name: String) -> UInt32? {
            field == .ctState ? NFTSymbols.ctState(name)?.bit : NFTSymbols.ctStatus[name]?.rawValue
        }
        switch v {
        case .name(let n): return bit(n)
        case .flags(let names):
            var mask: UInt32 = 0
            for n in names {
                guard let b = bit(n) else { return nil }
                mask |= b
            }
            return mask
        default: return nil
        }
    }

    static func lessOrEqual(_ a: IPAddress, _ b: IPAddress) -> Bool {
        switch (a, b) {
        case (.v4(let x), .v4(let y)): x.raw <= y.raw
        case (.v6(let x), .v6(let y)): (x.high, x.low) <= (y.high, y.low)
        default: false
        }
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
