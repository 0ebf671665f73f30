/// Rules built on the topology, sysctls and where packets were (not) seen. Facts the kernel
/// states (a route is missing, ip_forward is 0) are said plainly; deductions say "likely".

/// S6 and friends: the source namespace's routing cannot send the packet at all (no route, a
/// reject route), or a namespace on the way must forward but has ip_forward=0.
public struct PathProblemRule: DiagnosisRule {
    public let id = "path-problem"
    public init() {}

    public func diagnose(_ c: DiagnosisContext) -> Diagnosis? {
        guard let topo = c.topology else { return nil }
        let origin = topo.namespaces.first { ns in ns.interfaces.contains { $0.kind != .loopback && $0.owns(c.input.orig.src) } }
        let stop: PathStop?
        if let o = origin {
            stop = topo.pathProblem(originatingIn: o.name, dst: c.input.orig.dst)
        } else if let first = c.input.requestHops.first {
            stop = topo.pathProblem(firstSeen: first.point, dst: c.input.orig.dst)
        } else {
            stop = nil
        }
        return stop.flatMap { Self.diagnosis(for: $0, topology: topo, source: c.input.orig.src) }
    }

    /// What to say about a path stop (also used for packets that never reached a wire).
    public static func diagnosis(for stop: PathStop, topology: Topology, source: IPAddress?) -> Diagnosis? {
        switch stop.reason {
        case .noRoute:
            let gw = gateway(in: stop.netns, topology: topology)
            let fix = gw.map { SuggestedCommand.addDefaultRoute(via: $0, netns: stop.netns).description }
            // The sender's own table fails the send itself; a router's drops what it was handed.
            let sender = source.map { s in topology.namespace(stop.netns)?.interfaces.contains { $0.owns(s) } ?? false } ?? true
            let what = sender ? "the sender gets \"Network is unreachable\"; nothing reaches a wire"
                : "it drops what it is handed and answers ICMP network unreachable, rate-limited"
            // What is missing, said as a route: the main table is the one read (policy rules are not).
            var missing = ""
            if case .noRoute(let dst) = stop.reason {
                missing = "; nothing in its main table matches: a default route, or a route to a prefix holding \(dst), would"
            }
            return Diagnosis(id: "no-route", reason: "\(stop) (\(what))\(missing)", fix: fix, evidence: .inferred)
        case .rejectedByRoute(let route, _):
            let fix = SuggestedCommand.deleteRoute(route, netns: stop.netns).description
            return Diagnosis(id: "reject-route", reason: "\(stop)", fix: fix, evidence: .inferred)
        case .forwardingDisabled:
            return Diagnosis(id: "ip-forward", reason: "\(stop)",
                             fix: SuggestedCommand.sysctl(["net", "ipv4", "ip_forward"], 1, netns: stop.netns).description, evidence: .inferred)
        case .loop:
            return Diagnosis(id: "routing-loop", reason: "\(stop)", evidence: .inferred)
        default:
            return nil
        }
    }

    /// An address of another namespace on the same subnet as one of `netns`' interfaces,
    /// preferring a bridge's (the lab's 172.18.0.1 on docker1).
    static func gateway(in netns: String?, topology: Topology) -> IPAddress? {
        guard let ns = topology.namespace(netns) else { return nil }
        let subnets = ns.interfaces.filter { $0.kind != .loopback }.flatMap(\.addresses).filter { $0.scope == .global }.compactMap(\.subnet)
        // Only a router can be a gateway: a bridge's address, or one in a namespace that forwards.
        var bridges: [IPAddress] = [], routers: [IPAddress] = []
        for other in topology.namespaces where other.name != netns {
            for link in other.interfaces where link.kind != .loopback {
                for a in link.addresses where a.scope == .global && subnets.contains(where: { $0.contains(a.address) }) {
                    if link.kind == .bridge { bridges.append(a.address) } else if other.ipForward == true { routers.append(a.address) }
                }
            }
        }
        return bridges.first ?? routers.first
    }
}

/// ip_forward=0 in the namespace the packet vanished in, between two of its interfaces.
public struct IPForwardRule: DiagnosisRule {
    public let id = "ip-forward"
    public init() {}

    public func diagnose(_ c: DiagnosisContext) -> Diagnosis? {
        guard let at = c.input.lastSeen, let next = c.input.nextExpected, at.netns == next.netns,
              at.iface != next.iface, c.facts[at.netns]?.ipForward == false else { return nil }
        let ns = TopologyError.name(at.netns)
        return Diagnosis(
            id: id,
            reason: "\(ns) has net.ipv4.ip_forward=0: it does not forward from \(at.iface) to \(next.iface)",
            fix: SuggestedCommand.sysctl(["net", "ipv4", "ip_forward"], 1, netns: at.netns).description, evidence: .inferred)
    }
}

/// The conntrack table of a namespace the flow crossed is full: new entries are dropped.
public struct ConntrackFullRule: DiagnosisRule {
    public let id = "conntrack-full"
    public init() {}

    public func diagnose(_ c: DiagnosisContext) -> Diagnosis? {
        guard !c.input.conntrackSeen else { return nil }
        let candidates = [c.input.lastSeen?.netns] + c.input.failedHops.map { $0.point.netns }
        guard let netns = candidates.first(where: { c.facts[$0]?.conntrackFull ?? false }),
              let f = c.facts[netns], let count = f.conntrackCount, let max = f.conntrackMax else { return nil }
        // nf_conntrack_max is read-only inside a namespace: the machine's own value is every
        // namespace's limit, so the fix runs on the host (no namespace prefix), and says so.
        return Diagnosis(
            id: id,
            reason: "likely dropped because \(TopologyError.name(netns))'s conntrack table is full (\(count) of \(max) entries): new connections are dropped, and this flow never got an entry"
                + (netns == nil ? "" : "; the limit is the machine's net.netfilter.nf_conntrack_max (read-only inside a namespace), so it is raised on the host"),
            fix: SuggestedCommand.sysctl(["net", "netfilter", "nf_conntrack_max"], max > Int.max / 2 ? max : max * 2, netns: nil).description, evidence: .inferred)
    }
}

/// Reverse-path filtering: the packet vanished right after arriving on an interface with
/// rp_filter=1 (strict), and its source is not routed back through that interface.
public struct ReversePathFilterRule: DiagnosisRule {
    public let id = "rp-filter"
    public init() {}

    public func diagnose(_ c: DiagnosisContext) -> Diagnosis? {
        guard let topo = c.topology, let at = c.input.lastSeen, let next = c.input.nextExpected,
              at.netns == next.netns, let facts = c.facts[at.netns] else { return nil }
        guard let hop = c.input.failedHops.last(where: { $0.point == at }), hop.dir == .inbound || hop.dir == .other,
              let mode = facts.effectiveRPFilter(at.iface), mode != 0 else { return nil }
        let back = try? topo.route(in: at.netns, to: hop.src)
        let ns = TopologyError.name(at.netns)
        let why: String
        switch back {
        case .output(let dev, _, _)?:
            guard mode == 1, dev != at.iface else { return nil }
            why = "\(hop.src) is routed back via \(dev), not \(at.iface)"
        case .unreachable?, .rejected?:
            why = "\(ns) has no route back to \(hop.src)"
        default:
            return nil
        }
        let key = (facts.rpFilter["all"] ?? 0) >= mode ? "all" : at.iface
        return Diagnosis(
            id: id,
            reason: "likely dropped by reverse-path filtering in \(ns): rp_filter=\(mode) on \(at.iface) and \(why)",
            fix: SuggestedCommand.sysctl(["net", "ipv4", "conf", key, "rp_filter"], mode == 1 ? 2 : 0, netns: at.netns).description,
            evidence: .inferred)
    }
}

/// An ICMP error tied to the flow, without a trace: who sent it says what it means.
public struct ICMPErrorRule: DiagnosisRule {
    public let id = "icmp-error"
    public init() {}

    public func diagnose(_ c: DiagnosisContext) -> Diagnosis? {
        guard let e = c.input.lastError else { return nil }
        let v6 = c.input.proto == IPProtocol.icmpv6
        let name = ICMPNames.errorName(type: e.type, code: e.code, v6: v6)
        let destination = [c.input.orig.dst, c.input.reply?.src].contains(e.from)
        let owner = c.namespace(owning: e.from)
        let unreachable = v6 ? e.type == 1 : e.type == 3
        let portUnreachable = v6 ? (e.type == 1 && e.code == 4) : (e.type == 3 && e.code == 3)
        let prohibited = v6 ? (e.type == 1 && e.code == 1) : (e.type == 3 && [9, 10, 13].contains(e.code))
        if destination && portUnreachable {
            let port = IPProtocol.isTCPOrUDP(c.input.proto) ? " on port \(c.input.orig.dport)" : ""
            return Diagnosis(id: id, reason: "\(e.from) answered \(name): nothing listens\(port) there (or a REJECT rule there says so)",
                             evidence: .inferred)
        }
        if unreachable && (portUnreachable || prohibited) {
            let where_ = owner.map { " in \(TopologyError.name($0.name))" } ?? ""
            return Diagnosis(
                id: id,
                reason: "\(name) from \(e.from), which is not the destination: likely a REJECT rule\(where_) (iptables' default answer is port unreachable)",
                evidence: .inferred)
        }
        return nil
    }
}

/// S4 without a trace: the reply reached the forwarding namespace and never left it, and
/// conntrack never saw it pass.
public struct ReplyVanishedRule: DiagnosisRule {
    public let id = "reply-vanished"
    public init() {}

    public func diagnose(_ c: DiagnosisContext) -> Diagnosis? {
        guard c.input.failedLeg == .reply, let at = c.input.lastSeen, let next = c.input.nextExpected,
              at.netns == next.netns, c.input.conntrackSeen, !c.input.seenReply else { return nil }
        let ns = TopologyError.name(at.netns)
        var reason = "reply likely dropped in FORWARD in \(ns): seen on \(at.iface), never on \(next.iface), and conntrack never saw it pass; FORWARD likely lacks a RELATED,ESTABLISHED accept towards \(next.iface)"
        if let caveat = c.facts[at.netns]?.tracingCaveat { reason += " (\(caveat))" }
        return Diagnosis(id: id, reason: reason,
                         fix: SuggestedCommand.acceptReturning(towards: next.iface, netns: at.netns).description,
                         evidence: .inferred)
    }
}

/// S1: a private source left an uplink untranslated and nothing came back: MASQUERADE is missing.
public struct UntranslatedSourceRule: DiagnosisRule {
    public let id = "no-masquerade"
    public init() {}

    public func diagnose(_ c: DiagnosisContext) -> Diagnosis? {
        guard let topo = c.topology, c.input.verdict.state == .unreplied || c.input.verdict.state == .vanished,
              !c.input.seenReply, !c.input.nat.contains(where: { $0.kind == .snat }) else { return nil }
        for h in c.input.requestHops where h.dir == .outbound && h.src.isPrivate {
            guard let facts = topo.interfaceFacts(for: h.point, source: h.src), facts.isUplink,
                  !facts.subnets.contains(where: { $0.contains(h.src) }) else { continue }
            // Docker's rule for the bridge the source sits behind, where that bridge is this
            // namespace's (the same command as the correlator's hint); else this source on this uplink.
            let fix = facts.source.flatMap { $0.netns == h.point.netns ? $0.masqueradeRule : nil }
                ?? SuggestedCommand.masquerade(IPPrefix(h.src, prefixLength: h.src.v4 == nil ? 128 : 32), out: h.point.iface, netns: h.point.netns)
            return Diagnosis(
                id: id,
                reason: "\(h.src) left \(h.point) untranslated and no reply came: the far side has no route back to a private address; likely missing MASQUERADE",
                fix: fix.description, evidence: .inferred)
        }
        return nil
    }
}

/// The request vanished inside one namespace between two of its interfaces, and nothing above
/// explains it: netfilter (FORWARD) is the likely culprit.
public struct ForwardVanishedRule: DiagnosisRule {
    public let id = "forward-vanished"
    public init() {}

    public func diagnose(_ c: DiagnosisContext) -> Diagnosis? {
        guard c.input.failedLeg == .request, let at = c.input.lastSeen, let next = c.input.nextExpected,
              at.netns == next.netns, at.iface != next.iface else { return nil }
        let ns = TopologyError.name(at.netns)
        var reason = "likely dropped by netfilter in \(ns) while forwarding from \(at.iface) to \(next.iface) (seen on \(at.iface), never on \(next.iface))"
        if let caveat = c.facts[at.netns]?.tracingCaveat {
            reason += "; \(caveat)"
        } else {
            reason += "; no trace of it: run with explain to get the kernel's verdict"
        }
        return Diagnosis(id: id, reason: reason, evidence: .inferred)
    }
}
