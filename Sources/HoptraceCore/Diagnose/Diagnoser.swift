/// Picks the diagnosis of a failed flow: the rules in order, first answer wins. The kernel's
/// own evidence (a traced drop, a missing route, ip_forward=0) comes before deductions.
///
/// Call it from the executable whenever a flow's verdict changes to vanished / unreplied /
/// icmp-error (FlowChange.What.verdict), and again when new trace paths arrive for it:
///
///     let traces = Diagnoser.traces(for: flow, in: allPaths)   // from TraceSession.paths
///     if let d = Diagnoser.diagnose(flow: flow, topology: topo, traces: traces, facts: book) {
///         verdict.reason = d.reason; verdict.rule = d.rule; verdict.fix = d.fix ?? verdict.fix
///     }
///
/// Nil for flows that did not fail (replied, in flight, delivered and awaiting a reply).
public enum Diagnoser {
    /// In precedence order.
    public static let rules: [any DiagnosisRule] = [
        DockerUserDropRule(),
        DockerIsolationDropRule(),
        DockerUnpublishedDropRule(),
        BridgedForwardDropRule(),
        ReplyForwardDropRule(),
        ForwardDropRule(),
        TracedDropRule(),
        PathProblemRule(),
        IPForwardRule(),
        ConntrackFullRule(),
        ReversePathFilterRule(),
        TTLExceededRule(),
        FragmentationNeededRule(),
        ICMPErrorRule(),
        ReplyVanishedRule(),
        UntranslatedSourceRule(),
        ForwardVanishedRule(),
    ]

    public static func diagnose(flow: Flow, topology: Topology?, traces: [RulePath], facts: FactsBook) -> Diagnosis? {
        diagnose(DiagnosisInput(flow: flow), topology: topology, traces: traces, facts: facts)
    }

    public static func diagnose(_ input: DiagnosisInput, topology: Topology?, traces: [RulePath], facts: FactsBook) -> Diagnosis? {
        guard input.failed else { return nil }
        let c = DiagnosisContext(input: input, topology: topology, traces: Self.traces(for: input, in: traces), facts: facts)
        for rule in rules {
            if let d = rule.diagnose(c) { return d }
        }
        return nil
    }

    /// S6: a process in `netns` sent to `dst` and nothing reached any wire (so there is no flow).
    public static func diagnoseUnsent(from netns: String?, to dst: IPAddress, topology: Topology) -> Diagnosis? {
        topology.pathProblem(originatingIn: netns, dst: dst)
            .flatMap { PathProblemRule.diagnosis(for: $0, topology: topology, source: nil) }
    }

    /// The paths about this flow's packets: the same conntrack entry (when the kernel reports
    /// it), else a packet with one of the flow's keys.
    public static func traces(for flow: Flow, in paths: [RulePath]) -> [RulePath] {
        traces(for: DiagnosisInput(flow: flow), in: paths)
    }

    public static func traces(for input: DiagnosisInput, in paths: [RulePath]) -> [RulePath] {
        let keys = input.requestKeys + input.replyKeys
        return paths.filter { p in
            if let a = p.conntrackID, let b = input.conntrackID, a == b { return true }
            return p.matches(any: keys)
        }
    }
}
