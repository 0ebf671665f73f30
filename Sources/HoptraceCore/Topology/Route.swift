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

    public var description: String {
        var text = destination.isDefault ? "default" : destination.description
        if let gateway { text += " via \(gateway)" }
        if let dev { text += " dev \(dev)" }
        if kind != .unicast { text = "\(kind) " + text }
        return text
    }
}
