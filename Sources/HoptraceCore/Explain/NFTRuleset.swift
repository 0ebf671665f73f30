/// A ruleset as `nft -s -a list ruleset` prints it (stateless: counters without values;
/// `-a`: every table, chain and rule ends with `# handle N`). Only what explaining a trace
/// needs: tables (with comment), chains (hook, policy) and each rule's text by handle.
/// Sets, maps, flowtables and objects are skipped. Lines it does not understand are ignored.
public struct NFTRuleset: Sendable, Equatable {
    public struct Table: Sendable, Equatable {
        public var family: NFTFamily
        public var name: String
        public var handle: UInt64?
        public var comment: String?
    }

    public struct Rule: Sendable, Equatable {
        public var handle: UInt64
        /// The rule as nft prints it, without the `# handle N` suffix.
        public var text: String
    }

    public struct Chain: Sendable, Equatable {
        public var family: NFTFamily
        public var table: String
        public var name: String
        /// "forward", "prerouting", … for base chains.
        public var hook: String?
        /// "accept" / "drop" for base chains.
        public var policy: String?
        public var rules: [Rule]
    }

    public var tables: [Table] = []
    public var chains: [Chain] = []

    public init() {}

    public init(parsing text: String) {
        var depth = 0
        var table: Table?
        var chain: Chain?
        // Depth at which the current non-chain block (set, map, flowtable, …) began.
        var skipping: Int?

        func flushChain() {
            if let c = chain { chains.append(c) }
            chain = nil
        }

        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = raw.trimmingWhitespace()
            if line.hasPrefix("#") { continue }
            let (opens, closes) = Self.braces(line)
            let (body, handle) = Self.splitHandle(line)
            if skipping == nil {
                let words = body.split(separator: " ").map(String.init)
                if depth == 0, words.first == "table", words.count >= 3, let family = NFTFamily(name: words[1]) {
                    table = Table(family: family, name: Self.unquote(words[2]), handle: handle)
                    tables.append(table!)
                } else if depth == 1, let t = table, words.first == "chain", words.count >= 2 {
                    chain = Chain(family: t.family, table: t.name, name: Self.unquote(words[1]), rules: [])
                } else if depth == 1, table != nil, words.first == "comment", words.count >= 2 {
                    tables[tables.count - 1].comment = Self.unquote(words.dropFirst().joined(separator: " "))
                } else if depth == 1, opens > closes {
                    skipping = depth
                } else if depth == 2, chain != nil {
                    if words.first == "type", let hookAt = words.firstIndex(of: "hook"), hookAt + 1 < words.count {
                        chain!.hook = words[hookAt + 1]
                        if let p = words.firstIndex(of: "policy"), p + 1 < words.count {
                            chain!.policy = words[p + 1].trimmingCharacters(";")
                        }
                    } else if let handle, !body.isEmpty, words.first != "comment" {
                        chain!.rules.append(Rule(handle: handle, text: body))
                    }
                }
            }
            depth += opens - closes
            if depth < 0 { depth = 0 }
            if let s = skipping, depth <= s { skipping = nil }
            if depth <= 1 { flushChain() }
            if depth == 0 { table = nil }
        }
        flushChain()
    }

    public func chain(family: NFTFamily?, table: String, name: String) -> Chain? {
        chains.first { $0.family == family && $0.table == table && $0.name == name }
    }

    /// The text of rule `handle` in (family, table, chain), or nil when the dump lacks it.
    public func ruleText(family: NFTFamily?, table: String, chain: String, handle: UInt64) -> String? {
        self.chain(family: family, table: table, name: chain)?.rules.first { $0.handle == handle }?.text
    }

    /// Whether rules of the table come from iptables-nft (its tables carry the familiar names).
    public var hasIptablesNFTTables: Bool {
        tables.contains { ($0.family == .ip || $0.family == .ip6) && ["filter", "nat", "mangle", "raw", "security"].contains($0.name) }
    }

    /// Splits "… # handle 7" into ("…", 7).
    static func splitHandle(_ line: String) -> (String, UInt64?) {
        let marker = Array("# handle ".utf8), bytes = Array(line.utf8)
        guard bytes.count >= marker.count,
              let at = (0...(bytes.count - marker.count)).reversed().first(where: { bytes[$0..<$0 + marker.count].elementsEqual(marker) })
        else { return (line, nil) }
        let number = bytes[(at + marker.count)...].prefix { $0 >= 48 && $0 <= 57 }
        var body = String(decoding: bytes[..<at], as: UTF8.self).trimmingWhitespace()
        if body.hasSuffix("{") { body = String(body.dropLast()).trimmingWhitespace() }
        return (body, UInt64(String(decoding: number, as: UTF8.self)))
    }

    /// Braces outside double quotes.
    static func braces(_ line: String) -> (Int, Int) {
        var opens = 0, closes = 0, quoted = false
        for ch in line {
            if ch == "\"" { quoted.toggle() } else if !quoted && ch == "{" { opens += 1 } else if !quoted && ch == "}" { closes += 1 }
            if !quoted && ch == "#" { break }
        }
        return (opens, closes)
    }

    static func unquote(_ s: String) -> String {
        var t = s.trimmingWhitespace()
        if t.hasSuffix("{") { t = String(t.dropLast()).trimmingWhitespace() }
        if t.count >= 2, t.hasPrefix("\""), t.hasSuffix("\"") { t = String(t.dropFirst().dropLast()) }
        return t
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars.drop { $0 == " " || $0 == "\t" || $0 == "\r" }
        var s = String(String.UnicodeScalarView(scalars))
        while let last = s.last, last == " " || last == "\t" || last == "\r" { s.removeLast() }
        return s
    }

    func trimmingCharacters(_ set: Character) -> String {
        var s = String(self)
        while s.last == set { s.removeLast() }
        while s.first == set { s.removeFirst() }
        return s
    }
}
