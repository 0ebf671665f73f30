/// The verdict policy: what a journey came to, and what a flow's recent journeys add up to.
/// A pure function of the journeys, the flow's evidence (conntrack, ICMP errors), the
/// topology (`paths`) and, once the deciding exchange has rolled out of the bounded journey
/// list, the settled verdict it left (`Flow.decidedJourneyID`): the correlator only stores
/// what it returns.
///
/// Why exchanges, not journeys: a flow is judged by what became of its requests. Each
/// finished request — its answer delivered, its answer or itself vanished, an ICMP error
/// back, or lossTimeout without any answer — is an *outcome*; the flow's settled verdict is
/// the NEWEST outcome. So a flow that breaks says so as soon as one exchange fails, one that
/// recovers reads well at the next answer, and a request still in flight never replaces a
/// settled verdict: it is shown beside it (`pending`). Capture gaps (uncaptured) are not
/// outcomes at all.
struct VerdictPolicy {
    let paths: any HopPathProvider
    let lossTimeout: Double

    /// What `flow(_:)` concluded.
    struct Judgement {
        var verdict: Verdict
        /// An exchange has finished: the verdict is settled (its state is the flow's history).
        var settled: Bool
        /// The verdict is the latest journey's own, so moving any journey on may change it
        /// (a sighting that merely progresses must be judged again).
        var byLatest: Bool
        /// The newest unfinished journey newer than the deciding outcome (shown beside it).
        var pendingJourneyID: Int?
        /// An exchange was answered (a reply delivered, or conntrack saw one after the request).
        var answered: Bool
        /// The journey that started the deciding exchange (0: none, or the flow's own as it was).
        var decidedJourneyID = 0
    }

    // MARK: - A journey

    /// A journey on its own: delivered when it reached its path's last point; vanished
    /// when settled (lossTimeout after its last sighting) short of it — uncaptured instead
    /// when the next point's capture was dropping packets then (`lossAt`); otherwise in flight.
    /// Without a known path it can only be "seen".
    ///
    /// `sortedByPath`: the hops are in path order (just re-placed), so the furthest point
    /// reached is the last hop's that is on the path.
    /// `capturingSince`: when every watched point was capturing (points open one after
    /// another): a journey last seen before then may have passed a point not yet open.
    func journey(_ j: Journey, sortedByPath: Bool = false, capturingSince: EventTime? = nil,
                 lossAt: (CapturePoint, EventTime) -> Correlator.CaptureLoss?) -> Verdict {
        guard !j.hops.isEmpty else {
            return Verdict(.inFlight, at: nil, reason: "nothing seen yet")
        }
        guard paths.knowsPaths, !j.path.isEmpty else {
            // As max(by:): the first of the latest.
            var latest = 0
            for k in j.hops.indices.dropFirst() where j.hops[latest].time < j.hops[k].time { latest = k }
            let seen = j.hops.map { "\($0.point)" }.joined(separator: ", ")
            return Verdict(j.settled ? .seen : .inFlight, at: j.hops.point(at: latest), reason: "seen at \(seen); path unknown")
        }
        var reached = 0
        if sortedByPath {
            for k in j.hops.indices.reversed() {
                if let p = j.path.firstIndex(of: j.hops.point(at: k)) {
                    reached = p
                    break
                }
            }
        } else {
            for k in j.hops.indices {
                if let p = j.path.firstIndex(of: j.hops.point(at: k)), p > reached { reached = p }
            }
        }
        let at = j.path[reached]
        if reached == j.path.count - 1 {
            return Verdict(.delivered, at: at, text: ReasonText(core: .deliveredTo(hops: j.hops.count)))
        }
        let next = j.path[reached + 1]
        guard j.settled else { return Verdict(.inFlight, at: at, text: ReasonText(core: .inFlightAfter(next: next))) }
        if let start = capturingSince, j.lastTime < start {
            return Verdict(.uncaptured, at: at,
                           reason: "not captured at \(next): seen before hoptrace's capture there had started",
                           hint: "the watched points open one after another: a packet crossing then may have passed a point not open yet")
        }
        if let loss = lossAt(next, j.lastTime) {
            return Verdict(.uncaptured, at: at,
                           reason: "not captured at \(next): hoptrace's capture there dropped \(loss.dropped) packets around then",
                           hint: "its kernel buffer was full: a gap in the capture, not evidence of a drop (a larger --buffer-size or fewer capture points help)")
        }
        var v = Verdict(.vanished, at: at, text: ReasonText(core: .vanishedAfter(next: next)))
        if let bridge = paths.egressInfo(for: at)?.bridgePortOf, at.netns == next.netns,
           paths.egressInfo(for: next)?.bridgePortOf == bridge {
            v.hint = "lost while bridged across \(bridge) in \(at.netns ?? "the current namespace"): with net.bridge.bridge-nf-call-iptables=1 bridged frames pass the iptables FORWARD chain"
            v.fix = SuggestedCommand.acceptForward(in: bridge, out: bridge, netns: at.netns).description
        } else if at.netns == next.netns {
            v.hint = "lost inside \(at.netns ?? "the current namespace") while forwarding from \(at.iface) to \(next.iface)"
        } else {
            v.hint = "lost on the link from \(at) to \(next)"
        }
        return v
    }

    // MARK: - A flow

    /// How an answer (a reply or ICMP error journey) stands; a request keeps its best answer.
    private enum Answer: UInt8, Comparable {
        case none = 0, inFlight, uncaptured, vanished, delivered, error
        static func < (a: Answer, b: Answer) -> Bool { a.rawValue < b.rawValue }

        init(_ j: Journey) {
            if j.leg == .error { self = .error; return }
            switch j.verdict.state {
            case .delivered, .seen, .replied: self = .delivered
            case .vanished: self = .vanished
            case .uncaptured: self = .uncaptured
            default: self = .inFlight
            }
        }
    }

    /// The flow's verdict from its journeys (oldest first) and evidence: the newest finished
    /// exchange's outcome (`scan`), worded; before any, what is in flight.
    func flow(_ f: Flow) -> Judgement {
        // A conntrack entry without packets (its traffic passes no watched point): its own word.
        if f.journeys.isEmpty, f.replySeenAt != nil {
            return Judgement(verdict: Verdict(.replied, at: nil, reason: "conntrack saw a reply (not captured at a watched point)"),
                             settled: true, byLatest: false, pendingJourneyID: nil, answered: true)
        }
        let scan = Self.scan(f)
        guard let (d, outcome, answer) = scan.decided else {
            // The deciding exchange rolled out of the bounded journey list (a flood) and none
            // newer has finished: its verdict stands, the newest unfinished journey beside it.
            // (A deciding journey still held that no longer decides, seen again after it settled,
            // say, is judged afresh.)
            if f.verdictSettled, f.decidedJourneyID != 0, !Self.holds(f, journey: f.decidedJourneyID) {
                return Judgement(verdict: f.verdict, settled: true, byLatest: false,
                                 pendingJourneyID: scan.pending.map { f.journeys[$0].id }, answered: scan.answered,
                                 decidedJourneyID: f.decidedJourneyID)
            }
            let (v, byLatest) = inFlightVerdict(f, lastDelivered: scan.lastDelivered, latest: scan.latest)
            return Judgement(verdict: v, settled: false, byLatest: byLatest, pendingJourneyID: nil, answered: scan.answered)
        }
        let newerPending = scan.pending.flatMap { $0 > d ? f.journeys[$0].id : nil }
        return Judgement(verdict: verdict(outcome, request: d, answer: answer, in: f), settled: true, byLatest: false,
                         pendingJourneyID: newerPending, answered: scan.answered, decidedJourneyID: f.journeys[d].id)
    }

    /// Whether the flow still holds the journey with this id (by index: iterating copies journeys).
    static func holds(_ f: Flow, journey id: Int) -> Bool {
        for i in f.journeys.indices where f.journeys[i].id == id { return true }
        return false
    }

    /// What one pass over a flow's journeys found.
    struct Scan {
        var window = VerdictWindow()
        /// The newest finished exchange: the journey that started it (a request, or an answer
        /// to no request held), its outcome, and the journey that answered it (-1: none).
        var decided: (index: Int, outcome: ExchangeOutcome, answer: Int)?
        /// The newest unfinished journey.
        var pending: Int?
        /// For the in-flight verdict: the latest delivered request, and the journey sighted
        /// last (the first of equals, as max(by:) keeps).
        var lastDelivered: Int?
        var latest = 0
        /// Some exchange was answered.
        var answered = false
    }

    /// The flow's exchanges and what they came to. One pass ties each answer to the request
    /// it answers (echo: the latest request with its seq; otherwise every request since the
    /// previous answer, as TCP acknowledges cumulatively), one turns requests into outcomes.
    /// No allocation: at most `maxJourneysPerFlow` slots on the stack. Needs no topology, so
    /// `Flow.window` asks it too, when a line or a view wants the counts.
    static func scan(_ f: Flow) -> Scan {
        let n = f.journeys.count
        if n == 0 {
            var s = Scan()
            if f.replySeenAt != nil {
                s.window.add(.replied)
                s.answered = true
            }
            return s
        }
        return withUnsafeTemporaryAllocation(of: (Answer, Int32).self, capacity: n) { answers in
            answers.initialize(repeating: (.none, -1))
            defer { answers.deinitialize() }
            let js = f.journeys
            for i in 0..<n where js[i].leg != .request {
                let a = Answer(js[i])
                var k = i - 1
                while k >= 0 {
                    if js[k].leg == .request {
                        if f.echo && js[i].leg == .reply {
                            if js[k].icmpSeq == js[i].icmpSeq {
                                if a > answers[k].0 { answers[k] = (a, Int32(i)) }
                                break
                            }
                        } else {
                            if a > answers[k].0 { answers[k] = (a, Int32(i)) }
                            if f.echo { break }
                        }
                    } else if !f.echo && k < i - 1 {
                        // An earlier answer answered what came before it.
                        break
                    }
                    k -= 1
                }
                // An answer to no request we hold (the flow seen mid-way, or the request
                // rolled out of the window): its own exchange, below.
                if k < 0 { answers[i] = (a, Int32(i)) }
            }
            return outcomes(f, answers: answers)
        }
    }

    private static func outcomes(_ f: Flow, answers: UnsafeMutableBufferPointer<(Answer, Int32)>) -> Scan {
        let js = f.journeys
        var scan = Scan()
        // Non-echo flows: requests delivered without an answer since the last answer
        // (a final ACK draws none; two in a row with nothing back is a flow that stopped answering).
        var unansweredRun = 0
        var answeredBefore = f.everAnswered
        for i in js.indices {
            let (a, by) = answers[i]
            let st = js[i].verdict.state
            if js[scan.latest].lastTime < js[i].lastTime { scan.latest = i }
            if st == .delivered && js[i].leg == .request { scan.lastDelivered = i }
            var outcome: ExchangeOutcome?
            var unfinished = false
            switch js[i].leg {
            case .request:
                if a == .error {
                    outcome = .icmpError
                } else if st == .vanished {
                    outcome = .vanished
                } else if st == .uncaptured || a == .uncaptured {
                    outcome = nil
                } else if a == .delivered {
                    outcome = .replied
                } else if a == .vanished {
                    outcome = .replyVanished
                } else if a == .inFlight {
                    unfinished = true
                } else if st == .inFlight || !js[i].settled {
                    unfinished = true
                } else if let seen = f.replySeenAt, seen >= js[i].firstTime {
                    // No answer captured by the time it settled, but conntrack saw one pass after it
                    // (weaker than a capture: a reply conntrack saw may still die in FORWARD, S4).
                    outcome = .replied
                } else if f.orig.dst.isMulticastOrBroadcast {
                    // Router solicitations, MLD reports: nobody owes them a reply.
                    outcome = .delivered
                } else if f.echo || !answeredBefore || unansweredRun >= 1 {
                    outcome = .unreplied
                    unansweredRun += 1
                } else {
                    unansweredRun += 1
                }
                if a >= .vanished || outcome == .replied { answeredBefore = true }
            case .reply, .error:
                if a >= .vanished { unansweredRun = 0 }
                // Only an answer to no request we hold is an exchange of its own.
                guard by == Int32(i) else { continue }
                switch a {
                case .error: outcome = .icmpError
                case .delivered: outcome = .replied
                case .vanished: outcome = .replyVanished
                case .inFlight: unfinished = true
                default: outcome = nil
                }
            }
            if outcome == .replied { scan.answered = true }
            if let outcome {
                scan.window.add(outcome)
                scan.decided = (i, outcome, Int(by))
            } else if unfinished {
                scan.window.inFlight += 1
                scan.pending = i
            }
        }
        return scan
    }

    /// The settled verdict for outcome `o` of the exchange started by journey `r` (a request,
    /// or an answer to no request held) and answered by journey `y` (-1: none).
    private func verdict(_ o: ExchangeOutcome, request r: Int, answer y: Int, in f: Flow) -> Verdict {
        let js = f.journeys
        switch o {
        case .vanished:
            var v = js[r].verdict
            if let s1 = untranslatedSource(js[r]) { (v.hint, v.fix) = (s1.hint, s1.fix) }
            return v
        case .replyVanished:
            let reply = y >= 0 ? y : r
            var v = js[reply].verdict
            v.prefixReply()
            if let at = v.at, let next = nextPoint(after: at, in: js[reply]), at.netns == next.netns,
               f.conntrackID != nil, !f.seenReply {
                v.hint = "the reply reached \(at) but \(at.netns ?? "the host") did not forward it to \(next.iface); conntrack never saw it pass: FORWARD lacks a RELATED,ESTABLISHED accept towards \(next.iface)"
                v.fix = SuggestedCommand.acceptReturning(towards: next.iface, netns: at.netns).description
            }
            return v
        case .icmpError:
            let e = y >= 0 ? y : r
            let err = js[e].icmpError ?? f.lastError.map { ($0.type, $0.code) } ?? (0, 0)
            let at = js[e].hops.last?.point ?? f.lastError?.at
            let from = js[e].hops.first?.src ?? f.lastError?.from
            let stopped = js[r].leg == .request && js[r].verdict.state == .vanished
                ? js[r].verdict.at.map { "; the request got no further than \($0)" } ?? "" : ""
            let name = Self.icmpErrorName(type: err.type, code: err.code, v6: f.proto == IPProtocol.icmpv6)
            return Verdict(.icmpError, at: at,
                           reason: "\(name)\(from.map { " from \($0)" } ?? "")\(at.map { ", seen at \($0)" } ?? "")\(stopped)")
        case .replied:
            if y >= 0, y != r || js[r].leg == .reply {
                return Verdict(.replied, at: js[y].verdict.at,
                               text: ReasonText(core: .replied(hops: js[y].hops.count, pathUnknown: js[y].verdict.state == .seen)))
            }
            return Verdict(.replied, at: js[r].verdict.at, reason: "conntrack saw a reply (not captured at a watched point)")
        case .unreplied:
            if let s1 = untranslatedSource(js[r]) {
                var stale = ""
                if f.conntrackStatus.contains(.srcNAT) {
                    stale = "; conntrack's entry still says SRC_NAT but these packets left untranslated: the entry is stale and they are untracked"
                }
                return Verdict(.unreplied, at: js[r].verdict.at,
                               reason: "left \(s1.point) with untranslated private source \(s1.src); no reply within \(Self.seconds(lossTimeout))\(stale)",
                               hint: s1.hint, fix: s1.fix)
            }
            return Verdict(.unreplied, at: js[r].verdict.at,
                           text: ReasonText(core: .unreplied(pathUnknown: js[r].verdict.state == .seen, wait: lossTimeout)))
        case .delivered:
            return js[r].verdict
        }
    }

    /// Before any exchange has finished: the latest request delivered and awaiting its
    /// answer, else the latest journey as it stands (or the conntrack entry's own word).
    /// Also says whether that is the latest journey's own verdict: a delivered request's is
    /// not (another journey moving on cannot change it unless it too is delivered).
    private func inFlightVerdict(_ f: Flow, lastDelivered: Int?, latest l: Int) -> (Verdict, byLatest: Bool) {
        let js = f.journeys
        guard !js.isEmpty else {
            return (f.verdict.reason.isEmpty ? Verdict(.inFlight, at: nil, reason: "nothing seen yet") : f.verdict, true)
        }
        if let r = lastDelivered {
            var v = js[r].verdict
            v.suffixAwaiting()
            return (v, false)
        }
        var v = js[l].verdict
        if js[l].leg == .reply { v.prefixReply() }
        return (v, true)
    }

    private func nextPoint(after at: CapturePoint, in j: Journey) -> CapturePoint? {
        guard let i = j.path.firstIndex(of: at), i + 1 < j.path.count else { return nil }
        return j.path[i + 1]
    }

    // MARK: - The S1 hint

    /// S1: a request that a namespace FORWARDED out of an uplink (it was seen entering that
    /// namespace first) with a private source from one of that namespace's bridges, or at
    /// least not its own — nobody translated it where it left, so replies have no way back.
    /// A packet that merely starts at an uplink (a spoofed source arriving from outside,
    /// the remote's own interface) is not one: the hint would contradict what happened.
    func untranslatedSource(_ j: Journey) -> (point: CapturePoint, src: IPAddress, hint: String, fix: String)? {
        guard j.leg == .request else { return nil }
        for k in j.hops.indices {
            let h = j.hops[k]
            guard h.dir == .outbound, h.src.isPrivate, let e = paths.egressInfo(for: h.point), e.isUplink,
                  !e.ownSubnets.contains(where: { $0.contains(h.src) }) else { continue }
            // Behind one of this namespace's bridges: it was forwarded, whatever we saw before.
            if let b = e.bridges.first(where: { $0.subnet.contains(h.src) }) {
                return (h.point, h.src,
                        "no SNAT: replies cannot come back; add MASQUERADE for \(b.subnet) on \(h.point.iface)",
                        SuggestedCommand.masquerade(b.subnet, exceptOut: b.name, netns: h.point.netns).description)
            }
            // Otherwise only when we saw this namespace forward it (it entered elsewhere first).
            guard k > 0, j.hops.point(at: k - 1).netns == h.point.netns, j.hops.point(at: k - 1) != h.point else { continue }
            let host = IPPrefix(h.src, prefixLength: h.src.v4 == nil ? 128 : 32)
            return (h.point, h.src,
                    "no SNAT: replies cannot come back; add MASQUERADE for \(h.src) on \(h.point.iface)",
                    SuggestedCommand.masquerade(host, out: h.point.iface, netns: h.point.netns).description)
        }
        return nil
    }

    // MARK: - Words

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

    /// "1 s", "0.5 s". Whole seconds print as integers only within Int's range (`Int(1e300)` traps).
    static func seconds(_ s: Double) -> String {
        s == s.rounded() && s.magnitude < 1e15 ? "\(Int(s)) s" : "\(s) s"
    }
}
