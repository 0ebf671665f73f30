/// The knobs the articles turn, one field each. A scenario is a full set of them.
public struct LabSettings: Sendable, Equatable {
    public enum ForwardPolicy: String, Sendable, CaseIterable { case accept, drop }

    /// `-t nat -A POSTROUTING -s 172.18.0.0/24 ! -o docker1 -j MASQUERADE` (S1 vs S2).
    public var nat: Bool
    /// `iptables -P FORWARD ACCEPT|DROP` (S3: Docker sets DROP).
    public var forward: ForwardPolicy
    /// `-A FORWARD -i docker1 ! -o docker1 -j ACCEPT` (S4: outbound allowed).
    public var outboundRule: Bool
    /// `-A FORWARD -o docker1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT` (S4's missing rule).
    public var returnRule: Bool
    /// `-A FORWARD -i docker1 -o docker1 -j ACCEPT` (container to container under DROP).
    public var bridgeRule: Bool
    /// net.bridge.bridge-nf-call-iptables in the host namespace (S5).
    public var bridgeFilter: Bool
    /// ns1's default route via 172.18.0.1 (S6 removes it).
    public var defaultRoute: Bool
    /// net.ipv4.ip_forward in the host namespace.
    public var ipForward: Bool
    /// Ports published to ns1 with Docker's DNAT rules (S7).
    public var published: [UInt16]

    public init(
        nat: Bool = true, forward: ForwardPolicy = .accept, outboundRule: Bool = false,
        returnRule: Bool = false, bridgeRule: Bool = false, bridgeFilter: Bool = true,
        defaultRoute: Bool = true, ipForward: Bool = true, published: [UInt16] = []
    ) {
        self.nat = nat
        self.forward = forward
        self.outboundRule = outboundRule
        self.returnRule = returnRule
        self.bridgeRule = bridgeRule
        self.bridgeFilter = bridgeFilter
        self.defaultRoute = defaultRoute
        self.ipForward = ipForward
        self.published = published
    }
}

/// The scenarios of SCENARIOS.md, as the settings that reproduce them.
public enum LabScenario: String, Sendable, CaseIterable {
    case s1 = "S1", s2 = "S2", s3 = "S3", s4 = "S4", s5 = "S5", s6 = "S6", s7 = "S7"

    public init(parsing text: String) throws {
        guard let s = LabScenario(rawValue: text.uppercased()) else { throw LabError.unknownScenario(text) }
        self = s
    }

    public var summary: String {
        switch self {
        case .s1: return "ping out with no NAT: the private source leaves enX0 untranslated, no reply"
        case .s2: return "ping out through MASQUERADE: SNAT to 172.31.39.53 on enX0, replies come back"
        case .s3: return "FORWARD policy DROP: the request dies after docker1"
        case .s4: return "outbound ACCEPT without the RELATED,ESTABLISHED return rule: the reply dies after enX0"
        case .s5: return "bridge-nf-call-iptables=1 under FORWARD DROP: ns1 -> ns0 across the bridge is dropped"
        case .s6: return "no default route in ns1: nothing leaves the container"
        case .s7: return "tcp/80 published with Docker's DNAT rules to 172.18.0.3:80, server in ns1"
        }
    }

    public var settings: LabSettings {
        switch self {
        case .s1: return LabSettings(nat: false)
        case .s2: return LabSettings()
        case .s3: return LabSettings(forward: .drop)
        case .s4: return LabSettings(forward: .drop, outboundRule: true)
        case .s5: return LabSettings(forward: .drop, bridgeFilter: true)
        case .s6: return LabSettings(defaultRoute: false)
        case .s7:
            return LabSettings(
                forward: .drop, outboundRule: true, returnRule: true, bridgeRule: true, published: [80])
        }
    }
}
