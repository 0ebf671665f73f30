/// Issue 18: when a flow failed where a rule or a route decides, the one that almost applied.
/// The hook where the packet died is evaluated against the namespace's ruleset (FORWARD for a
/// forward that vanished, nat POSTROUTING for a source that left untranslated, nat PREROUTING
/// and then filter INPUT for a connection to the host that got nothing back); the closest rule
/// of the kind the packet needed (`NearMissFinder`) is named with the field that differs, and
/// the fix corrects that rule in place instead of adding a second one. A route that sent the
/// packet out an interface nobody watches, more specific than the one through a watched
/// interface, is named the same way.
///
/// Pure: the rulesets and iptables listings come through the `Sources` closures.
public enum NearMissAnalysis {
    public struct Sources {
        /// The namespace's ruleset (with rule texts), nil when it cannot be read.
        public var ruleset: (String?) -> NFTRuleset?
        /// `iptables -t TABLE -S CHAIN`'s "-A" lines in order (ip6tables when `v6`), nil when unreadable.
        public var iptablesRules: (_ netns: String?, _ table: String, _ chain: String, _ v6: Bool) -> [String]?
        /// The capture points watched: a route out of one of them is on the watched path.
        public var watched: Set<CapturePoint>

        public init(ruleset: @escaping (String?) -> NFTRuleset?,
                    iptablesRules: @escaping (String?, String, String, Bool) -> [String]? = { _, _, _, _ in nil },
                    watched: Set<CapturePoint> = []) {
            self.ruleset = ruleset
            self.iptablesRules = iptablesRules
            self.watched = watched
        }
    }

    /// `d` (Diagnoser's answer, nil when it had none) with the near miss, when one explains the failure.
    public static func apply(_ d: Diagnosis?, input: DiagnosisInput, topology: Topology?, sources: Sources) -> Diagnosis? {
        guard input.failed else { return d }
        // A route that took the packet off the watched path explains what follows (a dead
        // gateway's "host unreachable" included): it goes first, the rest after it.
        if d == nil || d?.id == "icmp-error", let r = RouteNearMiss.diagnose(input, topology: topology, watched: sources.watched) {
            guard let d else { return r }
            var out = r
            out.reason += "; then \(d.reason)"
            return out
        }
        guard input.verdict.state != .icmpError else { return d }
        switch d?.id {
        case "no-masquerade":
            guard let d, let (netns, packet) = leavingUplink(input, topology) else { return d }
            return withRule(d, netns: netns, hook: "postrouting", type: "nat", kinds: [.masquerade, .snat], packet: packet, sources: sources)
        case "forward-vanished":
            guard let d, let (netns, packet) = forwarded(input, topology) else { return d }
            return withRule(d, netns: netns, hook: "forward", type: "filter", kinds: [.accept], packet: packet, sources: sources)
        case "forward-drop" where d?.rule?.contains(" policy drop") == true:
            guard let d, let (netns, packet) = forwarded(input, topology) else { return d }
            return withRule(d, netns: netns, hook: "forward", type: "filter", kinds: [.accept], packet: packet, sources: sources)
        case nil:
            return localDelivery(input, topology: topology, sources: sources)
        default:
            return d
        }
    }

    // MARK: - The packet at each hook

    /// The hop where the failing request was last seen, and the namespace forwarding it (iif, oif known).
    static func forwarded(_ input: DiagnosisInput, _ topology: Topology?) -> (String?, RulePacket)? {
        guard let at = input.lastSeen, let next = input.nextExpected, at.netns == next.netns, at.iface != next.iface,
              let hop = input.failedHops.last(where: { $0.point == at }) else { return nil }
        var p = packet(hop, input, topology: topology, netns: at.netns)
        // FORWARD sees the destination after DNAT (conntrack's reply tuple has it).
        if let reply = input.reply, reply.src != input.orig.dst {
            p.daddr = reply.src
            if p.dport != nil { p.dport = reply.sport }
        }
        p.iifname = at.iface
        p.oifname = next.iface
        return (at.netns, p)
    }

    /// The hop where a private source left an uplink untranslated (as `UntranslatedSourceRule` found it).
    static func leavingUplink(_ input: DiagnosisInput, _ topology: Topology?) -> (String?, RulePacket)? {
        guard let topo = topology else { return nil }
        for h in input.requestHops where h.dir == .outbound && h.src.isPrivate {
            guard let facts = topo.interfaceFacts(for: h.point, source: h.src), facts.isUplink,
                  !facts.subnets.contains(where: { $0.contains(h.src) }) else { continue }
            var p = packet(h, input, topology: topology, netns: h.point.netns)
            p.oifname = h.point.iface
            p.iifname = input.requestHops.first { $0.point.netns == h.point.netns && $0.dir != .outbound }?.point.iface
            return (h.point.netns, p)
        }
        return nil
    }

    static func packet(_ hop: Hop, _ input: DiagnosisInput, topology: Topology?, netns: String?) -> RulePacket {
        let v6 = hop.src.v4 == nil
        let icmpType: UInt8? = input.echo ? (v6 ? 128 : 8) : nil
        let interfaces = topology?.namespace(netns)?.interfaces
        return RulePacket(saddr: hop.src, daddr: hop.dst, l4proto: input.proto, sport: hop.sport, dport: hop.dport,
                          icmpType: icmpType, ctState: input.seenReply ? .established : .new,
                          isLocalDestination: interfaces.map { $0.contains { $0.owns(hop.dst) } },
                          isLocalSource: interfaces.map { $0.contains { $0.owns(hop.src) } })
    }

    // MARK: - Local delivery: DNAT expected, or INPUT

    /// A connection to an address of the namespace it arrived in that got nothing back: a DNAT
    /// that almost matched (PREROUTING), else an INPUT accept that almost did.
    static func localDelivery(_ input: DiagnosisInput, topology: Topology?, sources: Sources) -> Diagnosis? {
        guard !input.seenReply, let hop = input.requestHops.last, hop.dir != .outbound,
              topology?.namespace(hop.point.netns)?.interfaces.contains(where: { $0.owns(hop.dst) }) == true else { return nil }
        var p = packet(hop, input, topology: topology, netns: hop.point.netns)
        p.iifname = hop.point.iface
        let ns = TopologyError.name(hop.point.netns)
        let base = Diagnosis(id: "local-unanswered",
                             reason: "\(hop.dst) is \(ns)'s own address: the request reached \(hop.point) and nothing answered",
                             evidence: .inferred)
        if let d = withRule(base, netns: hop.point.netns, hook: "prerouting", type: "nat", kinds: [.dnat, .redirect], packet: p,
                            sources: sources, id: "dnat-near-miss") {
            if d.nearMiss != nil { return d }
        }
        let input = withRule(base, netns: hop.point.netns, hook: "input", type: "filter", kinds: [.accept], packet: p, sources: sources,
                             id: "input-near-miss")
        return input?.nearMiss != nil ? input : nil
    }

    // MARK: - Evaluating and saying it

    /// `d` with the closest rule of `kinds` at the hook, when the hook's own decision explains the failure.
    static func withRule(_ d: Diagnosis, netns: String?, hook: String, type: String, kinds: Set<RuleVerdict.Kind>,
                         packet: RulePacket, sources: Sources, id: String? = nil) -> Diagnosis? {
        guard let ruleset = sources.ruleset(netns) else { return d }
        let evaluation = RuleEvaluator.evaluate(ruleset: ruleset, hook: hook, type: type, packet: packet)
        // Only when the hook did not already do what the packet needed: else the cause is elsewhere.
        if let decided = evaluation.decision?.verdict.kind {
            if kinds.contains(decided) { return d }
            if kinds == [.accept], ![.drop, .reject].contains(decided) { return d }
        }
        guard let miss = NearMissFinder.closest(in: evaluation, kinds: kinds), let first = miss.differences.first else { return d }
        var out = d
        if let id { out.id = id }
        let table = "\(miss.chain.family) \(miss.chain.table)"
        let text = miss.ruleText.map { "`\($0)`" } ?? "handle \(miss.handle)"
        let fields = miss.differences.map { "\($0.field) \($0.ruleValue)" }.joined(separator: " and ")
        let packetFields = miss.differences.map { "\($0.field) is \($0.packetValue ?? "unknown")" }.joined(separator: " and ")
        out.reason += "; the closest rule, \(text) in \(table) \(miss.chain.chain) (handle \(miss.handle)), is for \(fields), but the packet's \(packetFields)"
            + (miss.isCertain ? "" : " (a rule before it could not be evaluated: correcting this one may not be enough)")
        out.nearMiss = NearMissReport(netns: netns, table: table, chain: miss.chain.chain, rule: miss.ruleText, handle: miss.handle,
                                      field: first.field, ruleValue: first.ruleValue, packetValue: first.packetValue ?? "")
        if let fix = correction(miss, ruleset: ruleset, netns: netns, packet: packet, sources: sources) {
            let used = packetsMatched(miss, ruleset: ruleset)
            if let used, used > 0, out.fix != nil {
                // Other traffic goes through this rule: correcting it would take that away.
                out.reason += "; it has matched \(used) packets, so other traffic may rely on it: the fix adds a rule, correcting it in place is the alternative"
                out.alternatives = [fix.description] + out.alternatives
            } else {
                if let old = out.fix { out.alternatives = [old] + out.alternatives }
                out.fix = fix.description
            }
        }
        return out
    }

    /// The rule's counter (`counter packets N`), nil when it has none.
    static func packetsMatched(_ miss: NearMiss, ruleset: NFTRuleset) -> Int64? {
        guard let rule = ruleset.chains.first(where: { $0.family == miss.chain.family && $0.table == miss.chain.table && $0.name == miss.chain.chain })?
            .rule(handle: miss.handle) else { return nil }
        for e in rule.expr {
            if case .object(let o) = e, case .object(let c)? = o["counter"], case .integer(let n)? = c["packets"] { return n }
        }
        return nil
    }

    /// The command that corrects the rule in place: `iptables -R` for a rule iptables-nft wrote
    /// (nft must not edit those), else `nft replace rule … handle N`.
    static func correction(_ miss: NearMiss, ruleset: NFTRuleset, netns: String?, packet: RulePacket, sources: Sources) -> SuggestedCommand? {
        guard let chain = ruleset.chains.first(where: { $0.family == miss.chain.family && $0.table == miss.chain.table && $0.name == miss.chain.chain }),
              let index = chain.rules.firstIndex(where: { $0.handle == miss.handle }) else { return nil }
        // xt statements only iptables can write back; an iptables-style table (ip filter FORWARD)
        // is corrected the iptables way when iptables can list it, else the nft way.
        let hasXt = chain.rules[index].expr.contains { $0["xt"] != nil }
        let iptablesStyle = hasXt || (IptablesRule.tables.contains(chain.table) && chain.name.uppercased() == chain.name)
        if iptablesStyle, [.ip, .ip6].contains(chain.family),
           let lines = sources.iptablesRules(netns, chain.table, chain.name, chain.family == .ip6), lines.count == chain.rules.count {
            guard let spec = IptablesRule.corrected(lines[index], differences: miss.differences, packet: packet) else { return nil }
            return SuggestedCommand(netns: netns, [chain.family == .ip6 ? "ip6tables" : "iptables", "-t", chain.table, "-R", chain.name, "\(index + 1)"] + spec)
        }
        guard !hasXt, let corrected = miss.correctedRule else { return nil }
        return SuggestedCommand(netns: netns, ["nft", "replace", "rule", "\(chain.family)", chain.table, chain.name, "handle", "\(miss.handle)", corrected])
    }
}
