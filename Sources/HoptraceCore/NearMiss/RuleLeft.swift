/// The left side of a match: the field it reads and nft's words for it.
struct RuleLeft: Sendable {
    var field: RuleField
    var label: String
    /// The protocol nft requires before it reads the header (`tcp dport` → tcp).
    var impliedProtocol: UInt8?

    struct Unknown: Error { var what: String }

    static func parse(_ j: JSONValue) -> Result<RuleLeft, Unknown> { Result { () throws(Unknown) in try RuleLeft(throwing: j) } }

    init(field: RuleField, label: String, impliedProtocol: UInt8? = nil) {
        self.field = field
        self.label = label
        self.impliedProtocol = impliedProtocol
    }

    private init(throwing j: JSONValue) throws(Unknown) {
        if let p = j["payload"], let proto = p["protocol"]?.stringValue, let f = p["field"]?.stringValue {
            switch (proto, f) {
            case ("ip", "saddr"), ("ip6", "saddr"): self.init(field: .saddr, label: "\(proto) saddr")
            case ("ip", "daddr"), ("ip6", "daddr"): self.init(field: .daddr, label: "\(proto) daddr")
            case ("ip", "protocol"): self.init(field: .l4proto, label: "ip protocol")
            case ("icmp", "type"): self.init(field: .icmpType, label: "icmp type", impliedProtocol: IPProtocol.icmp)
            case ("icmpv6", "type"): self.init(field: .icmpv6Type, label: "icmpv6 type", impliedProtocol: IPProtocol.icmpv6)
            case (_, "sport"), (_, "dport"):
                guard let implied = Self.portHeaders[proto] else { throw Unknown(what: "\(proto) \(f)") }
                self.init(field: f == "sport" ? .sport : .dport, label: "\(proto) \(f)", impliedProtocol: implied)
            default: throw Unknown(what: "\(proto) \(f)")
            }
        } else if let key = j["meta"]?["key"]?.stringValue {
            switch key {
            case "l4proto": self.init(field: .l4proto, label: "meta l4proto")
            case "nfproto": self.init(field: .nfproto, label: "meta nfproto")
            case "mark": self.init(field: .mark, label: "meta mark")
            case "iifname": self.init(field: .iifname, label: "iifname")
            case "oifname": self.init(field: .oifname, label: "oifname")
            case "iif": self.init(field: .iif, label: "iif")
            case "oif": self.init(field: .oif, label: "oif")
            default: throw Unknown(what: "meta \(key)")
            }
        } else if let ct = j["ct"], let key = ct["key"]?.stringValue, ct["dir"] == nil {
            switch key {
            case "state": self.init(field: .ctState, label: "ct state")
            case "status": self.init(field: .ctStatus, label: "ct status")
            default: throw Unknown(what: "ct \(key)")
            }
        } else if let fib = j["fib"], fib["result"]?.stringValue == "type",
                  let flags = fib["flags"]?.arrayValue?.compactMap(\.stringValue) ?? fib["flags"]?.stringValue.map({ [$0] }),
                  flags == ["daddr"] || flags == ["saddr"] {
            self.init(field: flags == ["daddr"] ? .daddrType : .saddrType, label: "fib \(flags[0]) type")
        } else {
            throw Unknown(what: Self.describe(j))
        }
    }

    /// Headers whose ports nft reads, and the protocol each implies (`th` implies none).
    static let portHeaders: [String: UInt8?] = [
        "tcp": IPProtocol.tcp, "udp": IPProtocol.udp, "sctp": IPProtocol.sctp, "dccp": NFTSymbols.dccp,
        "udplite": NFTSymbols.udplite, "th": UInt8?.none,
    ]

    /// A few words for an expression hoptrace does not model: "ip ttl", "ct mark", "fib daddr . iif".
    static func describe(_ j: JSONValue) -> String {
        if let p = j["payload"] {
            if let proto = p["protocol"]?.stringValue, let f = p["field"]?.stringValue { return "\(proto) \(f)" }
            return "a raw payload"
        }
        if let key = j["meta"]?["key"]?.stringValue { return "meta \(key)" }
        if let ct = j["ct"], let key = ct["key"]?.stringValue {
            return ["ct", ct["dir"]?.stringValue, key].compactMap { $0 }.joined(separator: " ")
        }
        if let fib = j["fib"] {
            let flags = fib["flags"]?.arrayValue?.compactMap(\.stringValue) ?? []
            return "fib \(flags.joined(separator: " . ")) \(fib["result"]?.stringValue ?? "")"
        }
        if case .object(let o) = j, let key = o.keys.first { return key == "&" ? "a masked value" : key }
        return "an expression"
    }
}

extension RuleField {
    var isAddress: Bool { self == .saddr || self == .daddr }
    /// Fields nft compares as bits, printed as `a,b`.
    var isFlags: Bool { self == .ctState || self == .ctStatus }
    var isInterface: Bool { self == .iifname || self == .oifname || self == .iif || self == .oif }
}
