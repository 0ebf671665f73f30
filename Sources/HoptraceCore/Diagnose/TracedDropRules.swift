/// Rules built on the kernel's own word: an nftables trace whose final verdict is a drop.
/// Each names the deciding rule or policy exactly as the tracer reported it.

/// S5: a flow between two ports of the same bridge dropped by FORWARD: with
/// net.bridge.bridge-nf-call-iptables=1 bridged frames pass the iptables FORWARD chain.
public struct BridgedForwardDropRule: DiagnosisRule {
    public let id = "bridged-forward-drop"
    public init() {}

    public func diagnose(_ c: DiagnosisContext) -> Diagnosis? {
        guard let (path, step, _) = c.droppedTrace, isForward(step) else { return nil }
        guard let bridge = Self.sharedBridge(c, path: path) else { return nil }
        let ns = TopologyError.name(path.netns)
        let sysctl = c.facts[path.netns]?.bridgeNFCallIptables
        let why = sysctl == true
            ? "bridged traffic is filtered by iptables because net.bridge.bridge-nf-call-iptables=1"
            : "bridged traffic is filtered by iptables (br_netfilter passes bridged frames to FORWARD)"
        let sysctlFix = "\(Commands.inNamespace(path.netns))sysctl -w net.bridge.bridge-nf-call-iptables=0"
        let ruleFix = "iptables -A FORWARD -i \(bridge) -o \(bridge) -j ACCEPT"
        return Diagnosis(
            id: id,
            reason: "dropped in \(ns) while bridged between ports of \(bridge) by \(step): \(why); accept it in FORWARD (\(ruleFix)) or stop passing bridged frames to iptables (\(sysctlFix))",
            rule: "\(step)", fix: ruleFix, alternatives: [sysctlFix], evidence: .traced)
    }

    /// Both ends sit behind the same bridge of the trace's namespace; or the trace's in and out
    /// interfaces are the same device (br_netfilter reports the bridge for both).
    static func sharedBridge(_ c: DiagnosisContext, path: RulePath) -> String? {
        if let topo = c.topology,
           let a = topo.sourceBridge(for: c.input.orig.src, near: path.netns),
           let b = topo.sourceBridge(for: c.input.orig.dst, near: path.netns),
           a.bridge == b.bridge, a.netns == b.netns, a.netns == path.netns {
            return a.bridge
        }
        if let i = path.iif, i == path.oif {
            return c.interfaceName(i, in: path.netns) ?? "the bridge"
        }
        return nil
    }
}

/// S4: the reply of a flow that went out (NATed) was dropped in FORWARD on its way back:
/// FORWARD lacks the RELATED,ESTABLISHED accept towards the bridge.
public struct ReplyForwardDropRule: DiagnosisRule {
    public let id = "reply-forward-drop"
    public init() {}

    public func diagnose(_ c: DiagnosisContext) -> Diagnosis? {
        guard let (path, step, leg) = c.droppedTrace, leg == .reply, isForward(step) else { return nil }
        let ns = TopologyError.name(path.netns)
        let out = c.interfaceName(path.oif, in: path.netns) ?? c.input.nextExpected?.iface
            ?? c.topology?.sourceBridge(for: c.input.orig.src, near: path.netns)?.bridge
        let towards = out.map { " towards \($0)" } ?? ""
        let policy = step.kind == .policy
        let what = policy ? "nothing in FORWARD accepts RELATED,ESTABLISHED traffic\(towards)" : "the rule drops it before any RELATED,ESTABLISHED accept"
        return Diagnosis(
            id: id,
            reason: "reply dropped in \(ns) by \(step): the request went out, but \(what)",
            rule: "\(step)",
            fix: "iptables -A FORWARD\(out.map { " -o \($0)" } ?? "") -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            evidence: .traced)
    }
}

/// S3 (and any REJECT): the request was dropped by a FORWARD policy or a named rule.
public struct ForwardDropRule: DiagnosisRule {
    public let id = "forward-drop"
    public init() {}

    public func diagnose(_ c: DiagnosisContext) -> Diagnosis? {
        guard let (path, step, _) = c.droppedTrace, isForward(step) else { return nil }
        let ns = TopologyError.name(path.netns)
        let inName = c.interfaceName(path.iif, in: path.netns) ?? c.input.lastSeen.flatMap { $0.netns == path.netns ? $0.iface : nil }
        let outName = c.interfaceName(path.oif, in: path.netns) ?? c.input.nextExpected.flatMap { $0.netns == path.netns ? $0.iface : nil }
        let between = inName.map { i in " from \(i)" + (outName.map { " to \($0)" } ?? "") } ?? ""
        if step.isReject {
            var reason = "rejected in \(ns) by \(step)"
            if let e = c.input.lastError {
                reason += "; the \(ICMPNames.errorName(type: e.type, code: e.code, v6: c.input.proto == 58)) from \(e.from) is that rule's answer"
            }
            return Diagnosis(id: "forward-reject", reason: reason, rule: "\(step)",
                             fix: Commands.deleteRule(step, netns: path.netns), evidence: .traced)
        }
        if step.kind == .policy {
            // Docker-style: the source sits behind a bridge; Docker's own rule lets it out.
            let fix: String?
            if let b = c.topology?.sourceBridge(for: c.input.orig.src, near: path.netns), b.netns == path.netns {
                fix = "iptables -A FORWARD -i \(b.bridge) ! -o \(b.bridge) -j ACCEPT"
            } else if let i = inName, let o = outName {
                fix = "iptables -A FORWARD -i \(i) -o \(o) -j ACCEPT"
            } else {
                fix = nil
            }
            return Diagnosis(id: id, reason: "dropped in \(ns) by \(step): no rule in FORWARD accepts it\(between)",
                             rule: "\(step)", fix: fix, evidence: .traced)
        }
        return Diagnosis(id: id, reason: "dropped in \(ns) by \(step)\(between)", rule: "\(step)",
                         fix: Commands.deleteRule(step, netns: path.netns), evidence: .traced)
    }
}

/// A drop anywhere else (INPUT, OUTPUT, a raw/mangle chain, a user's own nft table).
public struct TracedDropRule: DiagnosisRule {
    public let id = "traced-drop"
    public init() {}

    public func diagnose(_ c: DiagnosisContext) -> Diagnosis? {
        guard let (path, step, leg) = c.droppedTrace else { return nil }
        let ns = TopologyError.name(path.netns)
        let what = leg == .reply ? "reply dropped" : step.isReject ? "rejected" : "dropped"
        return Diagnosis(id: id, reason: "\(what) in \(ns) by \(step)", rule: "\(step)",
                         fix: step.kind == .rule ? Commands.deleteRule(step, netns: path.netns) : nil, evidence: .traced)
    }
}

/// The forward hook: iptables' FORWARD chain or any nft chain named forward.
func isForward(_ step: RuleStep) -> Bool {
    step.chain.lowercased() == "forward"
}

/// The commands the fixes name.
enum Commands {
    /// `ip netns exec NS ` (empty for the current namespace).
    static func inNamespace(_ netns: String?) -> String {
        guard let netns else { return "" }
        return netns.hasPrefix("/") ? "nsenter --net=\(netns) " : "ip netns exec \(netns) "
    }

    /// Deletes the traced rule by handle: `ip netns exec hthost nft delete rule ip filter FORWARD handle 4`.
    static func deleteRule(_ step: RuleStep, netns: String?) -> String? {
        guard let h = step.handle, let f = step.family else { return nil }
        return "\(inNamespace(netns))nft delete rule \(f) \(step.table) \(step.chain) handle \(h)"
    }
}

/// ICMP error names (the correlator's, reachable from here).
enum ICMPNames {
    static func errorName(type: UInt8, code: UInt8, v6: Bool) -> String {
        VerdictPolicy.icmpErrorName(type: type, code: code, v6: v6)
    }
}
