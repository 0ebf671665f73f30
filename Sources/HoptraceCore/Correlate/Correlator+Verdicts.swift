/// Verdicts: what became of a journey, and what a flow's journeys add up to.
extension Correlator {
    /// A journey on its own: delivered when it reached its path's last point; vanished
    /// when settled (lossTimeout after its last sighting) short of it — uncaptured instead
    /// when the next point's capture was dropping packets then; otherwise in flight.
    /// Without a known path it can only be "seen".
    ///
    /// `sortedByPath`: the hops are in path order (just re-placed), so the furthest point
    /// reached is the last hop's that is on the path.
    func journeyVerdict(_ j: Journey, sortedByPath: Bool = false) -> Verdict {
        guard !j.hops.isEmpty else {
            return Verdict(.inFlight, at: nil, reason: "nothing seen yet")
        }
        guard paths.knowsPaths, !j.path.isEmpty else {
            // As max(by:): the first of the latest.
            var latest = 0
            for k in j.hops.indices.dropFirst() where j.hops[latest].time < j.hops[k].time { latest = k }
            let seen = j.hops.map { "\($0.point)" }.joined(separator: ", ")
            return Verdict(j.settled ? .seen : .inFlight, at: j.hops[latest].point, reason: "seen at \(seen); path unknown")
        }
        var reached = 0
        if sortedByPath {
            for k in j.hops.indices.reversed() {
                if let p = j.path.firstIndex(of: j.hops[k].point) {
                    reached = p
                    break
                }
            }
        } else {
            for k in j.hops.indices {
                if let p = j.path.firstIndex(of: j.hops[k].point), p > reached { reached = p }
            }
        }
        let at = j.path[reached]
        if reached == j.path.count - 1 {
            return Verdict(.delivered, at: at, text: ReasonText(core: .deliveredTo(hops: j.hops.count)))
        }
        let next = j.path[reached + 1]
        guard j.settled else { return Verdict(.inFlight, at: at, text: ReasonText(core: .inFlightAfter(next: next))) }
        if let loss = captureLoss(at: next, around: j.lastTime) {
            return Verdict(.uncaptured, at: at,
                           reason: "not captured at \(next): hoptrace's capture there dropped \(loss.dropped) packets around then",
                           hint: "its kernel buffer was full: a gap in the capture, not evidence of a drop (a larger --buffer-size or fewer capture points help)")
        }
        var v = Verdict(.vanished, at: at, text: ReasonText(core: .vanishedAfter(next: next)))
        if let bridge = paths.egressInfo(for: at)?.bridgePortOf, at.netns == next.netns,
           paths.egressInfo(for: next)?.bridgePortOf == bridge {
            v.hint = "lost while bridged across \(bridge) in \(at.netns ?? "the current namespace"): with net.bridge.bridge-nf-call-iptables=1 bridged frames pass the iptables FORWARD chain"
            v.fix = "iptables -A FORWARD -i \(bridge) -o \(bridge) -j ACCEPT"
        } else if at.netns == next.netns {
            v.hint = "lost inside \(at.netns ?? "the current namespace") while forwarding from \(at.iface) to \(next.iface)"
        } else {
            v.hint = "lost on the link from \(at) to \(next)"
        }
        return v
    }

    /// The flow's verdict. Precedence, first match wins — each step looks at the NEWEST
    /// settled evidence, so a flow that breaks says so at once and one that recovers
    /// reads well again (an old lost ping does not taint a working flow). Uncaptured
    /// journeys (a gap in hoptrace's capture) are not evidence for any of the steps:
    ///
    /// 1. the latest finished request journey vanished → vanished (the request died on the way);
    /// 2. the latest finished reply journey vanished → vanished, "reply vanished after …" (S4).
    ///    A reply counts as an answer only when it reaches the originator's end of its
    ///    path: a reply seen on the uplink and dropped in FORWARD is a failure, not "replied";
    ///    (unless an ICMP error came after that request: then 3. says what happened);
    /// 3. an ICMP error newer than the last delivered reply → icmp-error;
    /// 4. the latest finished request was delivered, lossTimeout passed and nothing answered
    ///    it (ICMP echo: no reply or error for its seq; TCP/UDP/other: the flow never had a
    ///    reply journey or SEEN_REPLY, since a final ACK draws no answer) → unreplied (with
    ///    the S1 hint when it left an uplink untranslated); never for multicast or broadcast
    ///    (router solicitations, MLD reports: nobody owes them a reply);
    /// 5. a reply journey was delivered (or, path unknown, seen), or conntrack saw a reply
    ///    we did not capture → replied;
    /// 6. the latest request was delivered and is still within lossTimeout → delivered, awaiting reply;
    /// 7. otherwise in flight (or a conntrack entry without packets).
    func flowVerdict(_ f: Flow) -> Verdict {
        lastVerdictByLatest = false
        // The latest (by first sighting; the first of equals, as max(by:) keeps) finished
        // request and reply, delivered or seen reply, and error, in one pass without copies.
        let js = f.journeys
        var ri: Int?, yi: Int?, ai: Int?, ei: Int?
        var hasReply = false
        func later(_ i: Int, than best: Int?) -> Bool { best.map { js[$0].firstTime < js[i].firstTime } ?? true }
        for i in js.indices {
            let state = js[i].verdict.state
            // A capture gap says nothing about the flow: it is not its latest evidence.
            let finished = (js[i].settled || state == .delivered) && state != .uncaptured
            switch js[i].leg {
            case .request:
                if finished && later(i, than: ri) { ri = i }
            case .reply:
                hasReply = true
                if finished && later(i, than: yi) { yi = i }
                if (state == .delivered || state == .seen) && later(i, than: ai) { ai = i }
            case .error:
                if later(i, than: ei) { ei = i }
            }
        }

        // An ICMP error that came after the latest request answers it (a REJECT, an
        // unreachable router): that is what happened, more than where the request stopped.
        let errorAnswersRequest = ei.map { e in f.lastError != nil && ri.map { js[e].firstTime >= js[$0].firstTime } ?? true } ?? false
        // 1.
        if let r = ri, js[r].verdict.state == .vanished, !errorAnswersRequest {
            var v = js[r].verdict
            if let s1 = untranslatedSource(js[r]) { (v.hint, v.fix) = (s1.hint, s1.fix) }
            return v
        }
        // 2.
        if let y = yi, js[y].verdict.state == .vanished {
            var v = js[y].verdict
            v.prefixReply()
            if let at = v.at, let next = nextPoint(after: at, in: js[y]), at.netns == next.netns,
               f.conntrackID != nil, !f.seenReply {
                v.hint = "the reply reached \(at) but \(at.netns ?? "the host") did not forward it to \(next.iface); conntrack never saw it pass: FORWARD lacks a RELATED,ESTABLISHED accept towards \(next.iface)"
                v.fix = "iptables -A FORWARD -o \(next.iface) -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
            }
            return v
        }
        // 3.
        if let e = ei, let err = f.lastError,
           ai.map({ js[$0].firstTime < js[e].firstTime }) ?? true {
            let at = js[e].hops.last?.point ?? err.at
            let stopped = ri.flatMap { js[$0].verdict.state == .vanished ? js[$0].verdict.at : nil }
                .map { "; the request got no further than \($0)" } ?? ""
            return Verdict(.icmpError, at: at, reason: "\(Self.icmpErrorName(type: err.type, code: err.code, v6: f.proto == 58)) from \(err.from), seen at \(at)\(stopped)")
        }
        // 4.
        if let r = ri, js[r].settled, js[r].verdict.state == .delivered || js[r].verdict.state == .seen,
           !answered(r, in: f), !f.orig.dst.isMulticastOrBroadcast {
            if let s1 = untranslatedSource(js[r]) {
                return Verdict(.unreplied, at: js[r].verdict.at,
                               reason: "left \(s1.point) with untranslated private source \(s1.src); no reply within \(Self.seconds(lossTimeout))",
                               hint: s1.hint, fix: s1.fix)
            }
            return Verdict(.unreplied, at: js[r].verdict.at,
                           text: ReasonText(core: .unreplied(pathUnknown: js[r].verdict.state == .seen, wait: lossTimeout)))
        }
        // 5.
        if let y = ai {
            return Verdict(.replied, at: js[y].verdict.at,
                           text: ReasonText(core: .replied(hops: js[y].hops.count, pathUnknown: js[y].verdict.state == .seen)))
        }
        if f.seenReply, !hasReply {
            return Verdict(.replied, at: ri.flatMap { js[$0].verdict.at }, reason: "conntrack saw a reply (not captured at a watched point)")
        }
        // 6.
        if let r = ri, js[r].verdict.state == .delivered {
            var text = js[r].verdict.text
            text.awaitingSuffix = true
            if js[r].verdict.text.awaitingSuffix { text = .literal(js[r].verdict.reason + ", awaiting reply") }
            return Verdict(.delivered, at: js[r].verdict.at, text: text)
        }
        // 7.
        if !js.isEmpty {
            // As max(by:): the first of the latest.
            var l = 0
            for i in js.indices.dropFirst() where js[l].lastTime < js[i].lastTime { l = i }
            var v = js[l].verdict
            if js[l].leg == .reply { v.prefixReply() }
            lastVerdictByLatest = true
            return v
        }
        return f.verdict.reason.isEmpty ? Verdict(.inFlight, at: nil, reason: "nothing seen yet") : f.verdict
    }

    private func nextPoint(after at: CapturePoint, in j: Journey) -> CapturePoint? {
        guard let i = j.path.firstIndex(of: at), i + 1 < j.path.count else { return nil }
        return j.path[i + 1]
    }

    /// Did a reply (or an error) come back for request journey `r`?
    private func answered(_ r: Int, in f: Flow) -> Bool {
        let js = f.journeys
        let since = js[r].firstTime
        if f.echo, let seq = js[r].icmpSeq {
            for i in js.indices where js[i].leg != .request && js[i].firstTime >= since {
                if js[i].leg == .error || js[i].icmpSeq == seq { return true }
            }
            return false
        }
        // Not every TCP/UDP segment draws an answer (a final ACK never does): once the
        // flow has been answered at all, only a vanished journey can make it fail again.
        if f.seenReply { return true }
        for i in js.indices where js[i].leg != .request && (js[i].firstTime >= since || js[i].leg == .reply) { return true }
        return false
    }

    /// S1: a request that left an uplink with a private source that is not the uplink's
    /// own namespace's — nobody translated it where it left its forwarding namespace, so
    /// replies have no way back. The provider says which interfaces are uplinks and
    /// which bridge subnet the source belongs to.
    func untranslatedSource(_ j: Journey) -> (point: CapturePoint, src: IPAddress, hint: String, fix: String)? {
        guard j.leg == .request else { return nil }
        for h in j.hops where h.dir == .outbound && h.src.isPrivate {
            guard let e = paths.egressInfo(for: h.point), e.isUplink,
                  !e.ownSubnets.contains(where: { $0.contains(h.src) }) else { continue }
            if let b = e.bridges.first(where: { $0.subnet.contains(h.src) }) {
                return (h.point, h.src,
                        "no SNAT: replies cannot come back; add MASQUERADE for \(b.subnet) on \(h.point.iface)",
                        "iptables -t nat -A POSTROUTING -s \(b.subnet) ! -o \(b.name) -j MASQUERADE")
            }
            let host = IPPrefix(h.src, prefixLength: h.src.v4 == nil ? 128 : 32)
            return (h.point, h.src,
                    "no SNAT: replies cannot come back; add MASQUERADE for \(h.src) on \(h.point.iface)",
                    "iptables -t nat -A POSTROUTING -s \(host) -o \(h.point.iface) -j MASQUERADE")
        }
        return nil
    }

    static func icmpErrorName(type: UInt8, code: UInt8, v6: Bool) -> String {
        if v6 {
            switch (type, code) {
            case (1, 4): return "ICMPv6 port unreachable"
            case (1, 1): return "ICMPv6 administratively prohibited"
            case (1, _): return "ICMPv6 destination unreachable (code \(code))"
            case (2, _): return "ICMPv6 packet too big"
            case (3, _): return "ICMPv6 hop limit exceeded"
            default: return "ICMPv6 error type \(type) code \(code)"
            }
        }
        switch (type, code) {
        case (3, 0): return "ICMP net unreachable"
        case (3, 1): return "ICMP host unreachable"
        case (3, 3): return "ICMP port unreachable"
        case (3, 4): return "ICMP fragmentation needed"
        case (3, 9), (3, 10), (3, 13): return "ICMP administratively prohibited"
        case (3, _): return "ICMP destination unreachable (code \(code))"
        case (11, 0): return "ICMP TTL exceeded in transit"
        case (11, _): return "ICMP fragment reassembly time exceeded"
        default: return "ICMP error type \(type) code \(code)"
        }
    }

    /// "1 s", "0.5 s".
    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s)) s" : "\(s) s"
    }
}
