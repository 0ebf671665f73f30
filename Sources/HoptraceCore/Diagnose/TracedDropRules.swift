/// Rules built on the kernel's own word: an nftables trace whose final verdict is a drop.
/// Each names the deciding rule or policy exactly as the tracer reported it.

/// S5: a flow between two ports of the same bridge dropped by FORWARD: with
/// net.bridge.bridge-nf-call-iptables=1 bridged frames pass the iptables FORWARD chain.
public struct BridgedForwardDropRule: DiagnosisRule {
    public let id = "bridged-forward-drop"
    public init() {}

    public func diagnose(_ c: DiagnosisContext) -> Diagnosis? {
        guard let (path, step, _) = c.droppedTrace, isForward(step) else { return nil }
        guard let shared = Self.sharedBridge(c, path: path) else { return nil }
        let bridge = shared ?? "the bridge"
        let ns = TopologyError.name(path.netns)
        let sysctl = c.facts[path.netns]?.bridgeNFCallIptables
        let why = sysctl == true
            ? "bridged traffic is filtered by iptables because net.bridge.bridge-nf-call-iptables=1"
            : "bridged traffic is filtered by iptables (br_netfilter passes bridged frames to FORWARD)"
        let sysctlFix = SuggestedCommand.sysctl(["net", "bridge", "bridge-nf-call-iptables"], 0, netns: path.netns)
        // A command needs the bridge's name: without it, only the sysctl is a command.
        let ruleFix = shared.map { SuggestedCommand.acceptForward(in: $0, out: $0, netns: path.netns) }
        return Diagnosis(
            id: id,
            reason: "dropped in \(ns) while bridged between ports of \(bridge) by \(step): \(why); accept it in FORWARD\(ruleFix.map { " (\($0))" } ?? "") or stop passing bridged frames to iptables (\(sysctlFix))",
            rule: "\(step)", fix: (ruleFix ?? sysctlFix).description,
            alternatives: ruleFix == nil ? [] : [sysctlFix.description], evidence: .traced)
    }

    /// Both ends sit behind the same bridge of the trace's namespace; or the trace's in and out
    /// interfaces are the same device (br_netfilter reports the bridge for both), whose name is
    /// nil when the topology does not know that ifindex.
    static func sharedBridge(_ c: DiagnosisContext, path: RulePath) -> String?? {
        if let topo = c.topology,
           let a = topo.sourceBridge(for: c.input.orig.src, near: path.netns),
           let b = topo.sourceBridge(for: c.input.orig.dst, near: path.netns),
           a.bridge == b.bridge, a.netns == b.netns, a.netns == path.netns {
            return .some(a.bridge)
        }
        if let i = path.iif, i == path.oif {
            return .some(c.interfaceName(i, in: path.netns))
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
        // An interface of the namespace the command runs in, or none (`-o` is then left out).
        let out = c.interfaceName(path.oif, in: path.netns)
            ?? c.input.nextExpected.flatMap { $0.netns == path.netns ? $0.iface : nil }
            ?? c.topology?.sourceBridge(for: c.input.orig.src, near: path.netns).flatMap { $0.netns == path.netns ? $0.bridge : nil }
        let towards = out.map { " towards \($0)" } ?? ""
        let policy = step.kind == .policy
        let what = policy ? "nothing in FORWARD accepts RELATED,ESTABLISHED traffic\(towards)" : "the rule drops it before any RELATED,ESTABLISHED accept"
        return Diagnosis(
            id: id,
            reason: "reply dropped in \(ns) by \(step): the request went out, but \(what)",
            rule: "\(step)",
            fix: SuggestedCommand.acceptReturning(towards: out, netns: path.netns).description,
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
                reason += "; the \(ICMPNames.errorName(type: e.type, code: e.code, v6: c.input.proto == IPProtocol.icmpv6)) from \(e.from) is that rule's answer"
            }
            return Diagnosis(id: "forward-reject", reason: reason, rule: "\(step)",
                             fix: SuggestedCommand.deleteRule(step, netns: path.netns)?.description, evidence: .traced)
        }
        if step.kind == .policy {
            // Docker-style: the source sits behind a bridge; Docker's own rule lets it out.
            let fix: SuggestedCommand?
            if let b = c.topology?.sourceBridge(for: c.input.orig.src, near: path.netns), b.netns == path.netns {
                fix = .acceptForward(in: b.bridge, out: b.bridge, exceptOut: true, netns: path.netns)
            } else if let i = inName, let o = outName {
                fix = .acceptForward(in: i, out: o, netns: path.netns)
            } else {
                fix = nil
            }
            return Diagnosis(id: id, reason: "dropped in \(ns) by \(step): no rule in FORWARD accepts it\(between)",
                             rule: "\(step)", fix: fix?.description, evidence: .traced)
        }
        return Diagnosis(id: id, reason: "dropped in \(ns) by \(step)\(between)", rule: "\(step)",
                         fix: SuggestedCommand.deleteRule(step, netns: path.netns)?.description, evidence: .traced)
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
                         fix: step.kind == .rule ? SuggestedCommand.deleteRule(step, netns: path.netns)?.description : nil, evidence: .traced)
    }
}

/// The forward hook: iptables' FORWARD chain or any nft chain named forward.
func isForward(_ step: RuleStep) -> Bool {
    step.chain.lowercased() == "forward"
}

/// ICMP error names (the correlator's, reachable from here).
enum ICMPNames {
    static func errorName(type: UInt8, code: UInt8, v6: Bool) -> String {
        VerdictPolicy.icmpErrorName(type: type, code: code, v6: v6)
    }
}
