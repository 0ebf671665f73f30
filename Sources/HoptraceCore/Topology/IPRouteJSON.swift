/// One route as `ip -j route show table main` prints it (`ip -j -6 route …` alike):
/// `{"dst":"default","gateway":"172.18.0.1","dev":"eth0","flags":[]}`,
/// `{"dst":"172.18.0.0/24","dev":"docker1","protocol":"kernel","scope":"link","prefsrc":"172.18.0.1","flags":[]}`,
/// `{"type":"blackhole","dst":"10.9.0.0/16","flags":[]}`.
/// Only the fields hoptrace reads are decoded (not `protocol`, `scope` or `prefsrc`).
public struct IPRouteJSON: IPJSONEntry, Sendable, Hashable {
    /// "default" or a prefix ("10.0.0.0/8"; "192.0.2.7" for one host).
    public var dst: IPJSONScalar?
    public var gateway: IPJSONScalar?
    public var dev: IPJSONScalar?
    /// Absent for unicast; "blackhole", "unreachable", "prohibit", "local", "throw"…
    public var type: IPJSONScalar?
    public var metric: IPJSONScalar?
    /// A multipath route's hops, where `dev` and `gateway` are; nil unless a list of objects.
    public var nexthops: [Hop]?

    /// One hop of `nexthops`: `{"gateway":"192.0.2.1","dev":"eth0","weight":1}`.
    public struct Hop: Decodable, Sendable, Hashable {
        public var dev: IPJSONScalar?
        public var gateway: IPJSONScalar?

        private enum CodingKeys: String, CodingKey {
            case dev, gateway
        }

        public init(from decoder: any Decoder) throws {
            let fields = try decoder.container(keyedBy: CodingKeys.self)
            dev = fields.scalar(.dev)
            gateway = fields.scalar(.gateway)
        }
    }

    private enum CodingKeys: String, CodingKey {
        case dst, gateway, dev, type, metric, nexthops
    }

    public init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: CodingKeys.self)
        dst = fields.scalar(.dst)
        gateway = fields.scalar(.gateway)
        dev = fields.scalar(.dev)
        type = fields.scalar(.type)
        metric = fields.scalar(.metric)
        nexthops = try? fields.decode([Hop].self, forKey: .nexthops)
    }
}
