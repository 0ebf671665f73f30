/// One entry of the main routing table.
public struct Route: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable, CustomStringConvertible {
        case unicast, local, blackhole, unreachable, prohibit
        /// Any other `type` iproute2 prints (throw, broadcast, multicast, nat…).
        case other(String)

        /// iproute2's spelling ("unicast" when `type` is absent).
        public init(iproute2 type: String?) {
            switch type ?? "unicast" {
            case "unicast": self = .unicast
            case "local": self = .local
            case "blackhole": self = .blackhole
            case "unreachable": self = .unreachable
            case "prohibit": self = .prohibit
            case let other: self = .other(other)
            }
        }

        public var description: String {
            switch self {
            case .unicast: "unicast"
            case .local: "local"
            case .blackhole: "blackhole"
            case .unreachable: "unreachable"
            case .prohibit: "prohibit"
            case .other(let name): name
            }
        }
    }

    /// 0.0.0.0/0 for "default".
    public var destination: IPPrefix
    public var gateway: IPAddress?
    /// nil for blackhole/unreachable/prohibit routes.
    public var dev: String?
    public var kind: Kind
    /// Lower wins among routes of equal prefix length; nil counts as 0.
    public var metric: Int?

    public init(destination: IPPrefix, gateway: IPAddress? = nil, dev: String?, kind: Kind = .unicast, metric: Int? = nil) {
        self.destination = destination
        self.gateway = gateway
        self.dev = dev
        self.kind = kind
        self.metric = metric
    }

    /// The route in iproute2's words, one per argv element (`ip route del` takes them):
    /// `["blackhole", "10.0.0.0/8"]`, `["default", "via", "172.18.0.1", "dev", "eth0"]`.
    public var words: [String] {
        var w = [destination.isDefault ? "default" : destination.description]
        if let gateway { w += ["via", "\(gateway)"] }
        if let dev { w += ["dev", dev] }
        if kind != .unicast { w.insert("\(kind)", at: 0) }
        return w
    }

    public var description: String { words.joined(separator: " ") }
}
