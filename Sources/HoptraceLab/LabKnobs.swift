/// The three knobs the live view flips (NAT, FORWARD policy, return rule), read from
/// the lab host's iptables as they are now: a key toggles what is, not what was set.
public struct LabKnobs: Sendable, Equatable {
    public var nat: Bool
    public var forwardDrop: Bool
    public var returnRule: Bool
}

extension Lab {
    public func knobs() throws -> LabKnobs {
        try requireUp()
        let exec = ["ip", "netns", "exec", topology.host]
        let nat = try runner.result(exec + LabRules.masquerade.argv("-C")).succeeded
        let ret = try runner.result(exec + LabRules.returnPath.argv("-C")).succeeded
        let policy = try runner.run(exec + ["iptables", "-w", "-S", "FORWARD"]).stdout
        return LabKnobs(nat: nat, forwardDrop: policy.contains("-P FORWARD DROP"), returnRule: ret)
    }
}
