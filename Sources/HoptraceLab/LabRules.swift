/// The iptables rules the articles type, as (table, chain, rule) triples so the
/// lab can check (-C), add (-A) and delete (-D) exactly the same rule.
public struct IptablesRule: Sendable, Equatable {
    public let table: String
    public let chain: String
    public let spec: [String]

    public init(table: String = "filter", chain: String, spec: [String]) {
        self.table = table
        self.chain = chain
        self.spec = spec
    }

    /// `iptables -t TABLE OP CHAIN SPEC…`, for OP in -C, -A, -D.
    public func argv(_ op: String) -> [String] {
        ["iptables", "-w", "-t", table, op, chain] + spec
    }
}

public enum LabRules {
    static let bridge = LabTopology.bridge

    public static let masquerade = IptablesRule(
        table: "nat", chain: "POSTROUTING",
        spec: ["-s", LabTopology.containerSubnet, "!", "-o", bridge, "-j", "MASQUERADE"])

    public static let outbound = IptablesRule(
        chain: "FORWARD", spec: ["-i", bridge, "!", "-o", bridge, "-j", "ACCEPT"])

    public static let returnPath = IptablesRule(
        chain: "FORWARD",
        spec: ["-o", bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"])

    public static let bridged = IptablesRule(
        chain: "FORWARD", spec: ["-i", bridge, "-o", bridge, "-j", "ACCEPT"])

    /// Docker's jump from PREROUTING into its own nat chain, for traffic to local addresses.
    public static let dockerJump = IptablesRule(
        table: "nat", chain: "PREROUTING", spec: ["-m", "addrtype", "--dst-type", "LOCAL", "-j", "DOCKER"])

    /// `docker run -p PORT:PORT`: DNAT to ns1 …
    public static func publishDNAT(port: UInt16) -> IptablesRule {
        IptablesRule(
            table: "nat", chain: "DOCKER",
            spec: ["!", "-i", bridge, "-p", "tcp", "-m", "tcp", "--dport", String(port),
                   "-j", "DNAT", "--to-destination", "\(LabTopology.ns1Address):\(port)"])
    }

    /// … and the FORWARD hole that lets it through a DROP policy.
    public static func publishForward(port: UInt16) -> IptablesRule {
        IptablesRule(
            chain: "FORWARD",
            spec: ["-d", "\(LabTopology.ns1Address)/32", "!", "-i", bridge, "-o", bridge,
                   "-p", "tcp", "-m", "tcp", "--dport", String(port), "-j", "ACCEPT"])
    }
}
