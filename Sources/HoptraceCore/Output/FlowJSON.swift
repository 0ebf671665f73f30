/// `type:"flow"` NDJSON lines (fields documented in README.md): a flow as the
/// correlator sees it at `time`. `hops` is the latest exchange: the latest journey in
/// path order, preceded by the request it answers (each hop says its `leg`).
public enum FlowJSON {
    /// A change as it happened: `event` (created|updated|ended) and, for a provisional
    /// flow that turned out to be part of another one, `merged_into`.
    public static func line(_ change: FlowChange, time: EventTime) -> String {
        line(change.flow, time: time) { j in
            // A change of the settled verdict's state is an event of its own in the flow's history.
            if change.kind == .updated, let from = change.changedFrom {
                j.add("event", "changed")
                j.add("from", from.rawValue)
                j.add("to", change.flow.verdict.state.rawValue)
            } else {
                j.add("event", change.kind.rawValue)
            }
            if let m = change.mergedInto { j.add("merged_into", m) }
            if change.what.contains(.evicted) { j.add("evicted", true) }
        }
    }

    public static func line(_ f: Flow, time: EventTime, extra: (inout JSONLine) -> Void = { _ in }) -> String {
        var j = EventJSON.header("flow", netns: f.conntrackNetns, seconds: time.seconds, micros: time.microsOfSecond)
        j.add("flow", f.id)
        extra(&j)
        j.add("proto", IPProtocol.name(f.proto))
        j.add("orig", f.conntrackOrig.map(EventJSON.tuple) ?? tuple(f.orig, echo: f.echo, request: true))
        if let r = f.conntrackReply { j.add("reply", EventJSON.tuple(r)) } else { j.addNull("reply") }
        j.add("nat", f.nat.map(nat))
        j.add("hops", f.latestExchange.flatMap { journey in journey.hops.map { hop($0, leg: journey.leg) } })
        j.add("verdict", verdict(f))
        // Only on flows a userland proxy relayed: other lines keep their fields as they were.
        if let p = f.proxy { j.add("proxy", proxy(p)) }
        if f.conntrackID != nil {
            var c = JSONLine()
            c.add("status", f.conntrackStatus.names)
            if let s = f.conntrackState { c.add("state", s) } else { c.addNull("state") }
            j.add("conntrack", c)
        } else {
            j.addNull("conntrack")
        }
        return j.text
    }

    /// A flow key in conntrack's tuple shape (echo: type 8/0 or 128/129 and the id).
    static func tuple(_ k: FlowKey, echo: Bool, request: Bool) -> JSONLine {
        var j = JSONLine()
        j.add("src", k.src.description)
        j.add("dst", k.dst.description)
        if k.proto == IPProtocol.icmp || k.proto == IPProtocol.icmpv6 {
            var i = JSONLine()
            let type = k.proto == IPProtocol.icmp ? (request ? 8 : 0) : (request ? 128 : 129)
            i.add("type", echo ? type : 0)
            i.add("code", 0)
            i.add("id", Int(k.sport))
            j.add("icmp", i)
        } else if IPProtocol.isTCPOrUDP(k.proto) {
            j.add("sport", Int(k.sport))
            j.add("dport", Int(k.dport))
        }
        return j
    }

    static func nat(_ n: NATRewrite) -> JSONLine {
        var j = JSONLine()
        j.add("kind", n.kind.rawValue)
        j.add("field", n.field)
        j.add("from", n.from)
        j.add("to", n.to)
        if let (a, b) = n.between { j.add("between", [a.description, b.description]) } else { j.addNull("between") }
        if let u = n.until { j.add("until", u.description) } else { j.addNull("until") }
        return j
    }

    static func hop(_ h: Hop, leg: Journey.Leg) -> JSONLine {
        var j = JSONLine()
        j.add("leg", leg.rawValue)
        if let ns = h.point.netns { j.add("netns", ns) } else { j.addNull("netns") }
        j.add("iface", h.point.iface)
        j.add("dir", h.dir.rawValue)
        j.add("time", h.time.description)
        j.add("src", h.src.description)
        j.add("dst", h.dst.description)
        if let s = h.sport, let d = h.dport {
            j.add("sport", Int(s))
            j.add("dport", Int(d))
        }
        if let id = h.icmpID { j.add("id", Int(id)) }
        j.add("ttl", Int(h.ttl))
        if let d = h.deltaMicros { j.add("delta_us", Int(d)) } else { j.addNull("delta_us") }
        return j
    }

    static func verdict(_ f: Flow) -> JSONLine {
        let v = f.verdict
        var j = JSONLine()
        j.add("state", v.state.rawValue)
        if let at = v.at { j.add("at", at.description) } else { j.addNull("at") }
        j.add("reason", v.reason)
        if let h = v.hint { j.add("hint", h) } else { j.addNull("hint") }
        if let fix = v.fix { j.add("fix", fix) }
        if let why = v.why { j.add("why", why) }
        if let rule = v.rule { j.add("rule", rule) }
        if let e = v.evidence { j.add("evidence", e.rawValue) }
        if let m = f.diagnosis?.nearMiss { j.add("near_miss", nearMiss(m)) }
        if let s = f.verdictSince { j.add("since", s.description) } else { j.addNull("since") }
        if let p = f.pendingText { j.add("pending", p) } else { j.addNull("pending") }
        j.add("window", window(f.window))
        return j
    }

    static func nearMiss(_ m: NearMissReport) -> JSONLine {
        var j = JSONLine()
        if let ns = m.netns { j.add("netns", ns) } else { j.addNull("netns") }
        j.add("table", m.table)
        j.add("chain", m.chain)
        if let r = m.rule { j.add("rule", r) } else { j.addNull("rule") }
        j.add("handle", Int(clamping: m.handle))
        j.add("field", m.field)
        j.add("rule_value", m.ruleValue)
        j.add("packet_value", m.packetValue)
        return j
    }

    static func window(_ w: VerdictWindow) -> JSONLine {
        var j = JSONLine()
        j.add("replied", w.replied)
        j.add("unreplied", w.unreplied)
        j.add("vanished", w.vanished)
        j.add("icmp_error", w.icmpError)
        j.add("delivered", w.delivered)
        j.add("in_flight", w.inFlight)
        j.add("recent", w.marks)
        return j
    }

    /// `proxy`: {pid, listen, role, linked_flow, upstream, candidates, text}.
    static func proxy(_ p: ProxyLink) -> JSONLine {
        var j = JSONLine()
        j.add("pid", Int(p.proxy.pid))
        j.add("listen", p.proxy.listenText)
        j.add("role", p.role.rawValue)
        if let peer = p.peerFlow { j.add("linked_flow", peer) } else { j.addNull("linked_flow") }
        if let u = p.upstream { j.add("upstream", u) } else { j.addNull("upstream") }
        j.add("candidates", p.candidates)
        j.add("text", p.text)
        return j
    }
}
