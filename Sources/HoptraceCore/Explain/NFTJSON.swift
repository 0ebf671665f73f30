/// `nft -j list …` as libnftables-json(5) describes it: `{"nftables": [OBJECT, …]}`, each
/// object a dictionary of one key, its kind: `{"table": {…}}`, `{"chain": {…}}`, `{"rule": {…}}`.
/// The kinds hoptrace reads are decoded with nft's own field names; every other kind (counter,
/// quota, flowtable, ct helper, element, a kind of a later version) is kept as `.other`, never
/// an error. Fields nft prints only sometimes are optional: base chains alone have type, hook,
/// prio and policy, and nft 1.0.6 leaves tables' and chains' comments out (tables' appear from
/// 1.0.7 on); rules' comments it prints.
public enum NFTJSON {
    /// The document, its objects in nft's order: each table, then its sets, maps and chains, then its rules.
    public struct Document: Decodable, Sendable {
        public var objects: [Object]

        private enum CodingKeys: String, CodingKey { case nftables }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            objects = try c.decode([Object].self, forKey: .nftables)
        }
    }

    public enum Object: Decodable, Sendable {
        case metainfo(Metainfo)
        case table(Table)
        case chain(Chain)
        case rule(Rule)
        case set(NamedSet)
        /// A map has a set's fields and `map`, the type of its values.
        case map(NamedSet)
        /// A kind hoptrace does not read, by name (keys joined by "," if an object had several).
        case other(String)

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Kind.self)
            let kinds = c.allKeys
            guard kinds.count == 1, let kind = kinds.first else {
                self = .other(kinds.map(\.stringValue).sorted().joined(separator: ","))
                return
            }
            switch kind.stringValue {
            case "metainfo": self = try .metainfo(c.decode(Metainfo.self, forKey: kind))
            case "table": self = try .table(c.decode(Table.self, forKey: kind))
            case "chain": self = try .chain(c.decode(Chain.self, forKey: kind))
            case "rule": self = try .rule(c.decode(Rule.self, forKey: kind))
            case "set": self = try .set(c.decode(NamedSet.self, forKey: kind))
            case "map": self = try .map(c.decode(NamedSet.self, forKey: kind))
            default: self = .other(kind.stringValue)
            }
        }

        /// Any key: the object's kind.
        private struct Kind: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }

    public struct Metainfo: Decodable, Sendable, Equatable {
        /// nft's version, "1.0.6".
        public var version: String?
        public var jsonSchemaVersion: Int?

        private enum CodingKeys: String, CodingKey {
            case version
            case jsonSchemaVersion = "json_schema_version"
        }
    }

    public struct Table: Decodable, Sendable, Equatable {
        public var family: String
        public var name: String
        public var handle: UInt64
        /// "owner", "dormant": a string for one flag or an array, depending on nft's version.
        public var flags: JSONValue?
        public var comment: String?
    }

    public struct Chain: Decodable, Sendable, Equatable {
        public var family: String
        public var table: String
        public var name: String
        public var handle: UInt64
        /// "filter", "nat", "route" (base chains).
        public var type: String?
        /// "prerouting", "forward", … (base chains).
        public var hook: String?
        /// The priority as a number (`filter` is 0, `srcnat` 100); kept as nft wrote it.
        public var prio: JSONValue?
        /// "accept" or "drop" (base chains).
        public var policy: String?
        /// The device(s) of a netdev chain.
        public var dev: JSONValue?
        public var comment: String?
    }

    public struct Rule: Decodable, Sendable, Equatable {
        public var family: String
        public var table: String
        public var chain: String
        public var handle: UInt64
        /// The rule's statements, whole (libnftables-json(5), STATEMENTS and EXPRESSIONS).
        public var expr: [JSONValue]
        public var comment: String?

        private enum CodingKeys: String, CodingKey { case family, table, chain, handle, expr, comment }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            family = try c.decode(String.self, forKey: .family)
            table = try c.decode(String.self, forKey: .table)
            chain = try c.decode(String.self, forKey: .chain)
            handle = try c.decode(UInt64.self, forKey: .handle)
            // nft always prints `expr`; a rule without statements is still a rule.
            expr = try c.decodeIfPresent([JSONValue].self, forKey: .expr) ?? []
            comment = try c.decodeIfPresent(String.self, forKey: .comment)
        }
    }

    /// A named set or map.
    public struct NamedSet: Decodable, Sendable, Equatable {
        public var family: String
        public var table: String
        public var name: String
        public var handle: UInt64
        /// "ipv4_addr", or an array for a concatenation (`["ipv4_addr", "inet_service"]`).
        public var type: JSONValue?
        /// A map's value type ("verdict", "ipv4_addr"); nil for a set.
        public var map: JSONValue?
        /// "interval", "timeout", "constant", …
        public var flags: JSONValue?
        /// The elements, when it has any: values, `{"prefix": …}`, `{"range": …}`, `{"concat": …}`,
        /// `[key, value]` pairs for a map.
        public var elem: [JSONValue]?
        public var comment: String?
    }
}
