/// One step of building or changing the lab. Plans are pure data, so what the
/// lab would do can be read (and tested) without running anything.
public enum LabAction: Sendable, Equatable {
    /// A command that is idempotent on its own (`addr replace`, `link set up`, `sysctl -w`).
    case run([String])
    /// Runs `create` only when `check` fails: makes a link or chain once.
    case unless(check: [String], create: [String])
    /// Makes an iptables rule in `netns` present or absent, checking with -C first.
    case rule(IptablesRule, present: Bool, netns: String)
}

/// One knob turned by `hoptrace lab set` (and, all together, by a scenario).
public enum LabToggle: Sendable, Equatable {
    case nat(Bool)
    case forward(LabSettings.ForwardPolicy)
    case outboundRule(Bool)
    case returnRule(Bool)
    case bridgeRule(Bool)
    case bridgeFilter(Bool)
    case defaultRoute(Bool)
    case ipForward(Bool)
    case publish(port: UInt16, Bool)
}

public enum LabPlan {
    static func ip(_ ns: String, _ args: String...) -> [String] { ["ip", "-n", ns] + args }
    static func exec(_ ns: String, _ argv: [String]) -> [String] { ["ip", "netns", "exec", ns] + argv }
    static func sysctl(_ ns: String, _ key: String, _ on: Bool) -> [String] {
        exec(ns, ["sysctl", "-qw", "\(key)=\(on ? 1 : 0)"])
    }

    /// Links, addresses and the bridge, inside namespaces that already exist.
    public static func build(_ t: LabTopology) -> [LabAction] {
        let T = LabTopology.self
        var a: [LabAction] = t.namespaces.map { .run(ip($0, "link", "set", "lo", "up")) }
        a += [
            .unless(check: ip(t.host, "link", "show", T.bridge),
                    create: ip(t.host, "link", "add", T.bridge, "type", "bridge")),
            .run(ip(t.host, "addr", "replace", "\(T.bridgeAddress)/24", "dev", T.bridge)),
            .run(ip(t.host, "link", "set", T.bridge, "up")),
        ]
        for (hostSide, ns, address) in [("veth0", t.ns0, T.ns0Address), ("veth1", t.ns1, T.ns1Address)] {
            a += [
                .unless(check: ip(t.host, "link", "show", hostSide),
                        create: ip(t.host, "link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns", ns)),
                .run(ip(t.host, "link", "set", hostSide, "master", T.bridge, "up")),
                .run(ip(ns, "addr", "replace", "\(address)/24", "dev", "eth0")),
                .run(ip(ns, "link", "set", "eth0", "up")),
            ]
        }
        a += [
            .unless(check: ip(t.host, "link", "show", T.uplink),
                    create: ip(t.host, "link", "add", T.uplink, "type", "veth", "peer", "name", T.uplink, "netns", t.remote)),
            .run(ip(t.host, "addr", "replace", "\(T.hostUplinkAddress)/\(T.uplinkPrefixLength)", "dev", T.uplink)),
            .run(ip(t.host, "link", "set", T.uplink, "up")),
            .run(ip(t.remote, "addr", "replace", "\(T.remoteAddress)/\(T.uplinkPrefixLength)", "dev", T.uplink)),
            .run(ip(t.remote, "link", "set", T.uplink, "up")),
            // ns0 always keeps its default route; ns1's follows the settings (S6).
            .run(ip(t.ns0, "route", "replace", "default", "via", T.bridgeAddress)),
        ]
        return a
    }

    /// Empties the chains the lab writes to, so a scenario starts from a known state.
    public static func resetRules(_ t: LabTopology) -> [LabAction] {
        [
            .run(exec(t.host, ["iptables", "-w", "-F", "FORWARD"])),
            .run(exec(t.host, ["iptables", "-w", "-t", "nat", "-F", "POSTROUTING"])),
            .run(exec(t.host, ["iptables", "-w", "-t", "nat", "-F", "PREROUTING"])),
            dockerChain(t),
            .run(exec(t.host, ["iptables", "-w", "-t", "nat", "-F", "DOCKER"])),
        ]
    }

    /// Every knob set to the value `settings` gives it.
    public static func apply(_ s: LabSettings, _ t: LabTopology) -> [LabAction] {
        let toggles: [LabToggle] = [
            .ipForward(s.ipForward), .bridgeFilter(s.bridgeFilter), .defaultRoute(s.defaultRoute),
            .nat(s.nat), .outboundRule(s.outboundRule), .returnRule(s.returnRule),
            .bridgeRule(s.bridgeRule), .forward(s.forward),
        ] + s.published.map { .publish(port: $0, true) }
        return toggles.flatMap { actions(for: $0, t) }
    }

    public static func actions(for toggle: LabToggle, _ t: LabTopology) -> [LabAction] {
        let host = t.host
        func rule(_ r: IptablesRule, _ on: Bool) -> LabAction { .rule(r, present: on, netns: host) }
        switch toggle {
        case .nat(let on): return [rule(LabRules.masquerade, on)]
        case .forward(let policy):
            return [.run(exec(host, ["iptables", "-w", "-P", "FORWARD", policy.rawValue.uppercased()]))]
        case .outboundRule(let on): return [rule(LabRules.outbound, on)]
        case .returnRule(let on): return [rule(LabRules.returnPath, on)]
        case .bridgeRule(let on): return [rule(LabRules.bridged, on)]
        case .bridgeFilter(let on): return [.run(sysctl(host, "net.bridge.bridge-nf-call-iptables", on))]
        case .ipForward(let on): return [.run(sysctl(host, "net.ipv4.ip_forward", on))]
        case .defaultRoute(let on):
            return on
                ? [.run(ip(t.ns1, "route", "replace", "default", "via", LabTopology.bridgeAddress))]
                : [.run(ip(t.ns1, "route", "flush", "exact", "0.0.0.0/0"))]
        case .publish(let port, let on):
            let rules = [rule(LabRules.publishDNAT(port: port), on), rule(LabRules.publishForward(port: port), on)]
            return on ? [dockerChain(t), rule(LabRules.dockerJump, true)] + rules : rules
        }
    }

    static func dockerChain(_ t: LabTopology) -> LabAction {
        .unless(check: exec(t.host, ["iptables", "-w", "-t", "nat", "-n", "-L", "DOCKER"]),
                create: exec(t.host, ["iptables", "-w", "-t", "nat", "-N", "DOCKER"]))
    }
}
