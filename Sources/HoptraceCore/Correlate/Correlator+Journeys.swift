/// Journeys: which sightings are the same packet, and in what order (`NATLearner` reads
/// what NAT did between them).
extension Correlator {
    /// What placing a sighting did.
    struct Placed {
        var natLearnt = false
        /// It only moved an in-flight journey one point on, still in flight.
        var progressOnly = false
        /// It only started the newest request journey, or moved the newest on, and that journey
        /// is unfinished (and was before): a settled verdict cannot change (the journey id: the
        /// new pending one).
        var unfinishedRequest: Int?
        /// It only moved an older request journey on, unfinished before and after: the flow's
        /// settled verdict cannot change. (The policy reads such a request's state only while
        /// no exchange has finished; an answer tied to it decides its outcome whatever the state.)
        /// Under a flood a packet's last sightings come after the next packet's first, so the
        /// journey moving on is seldom the newest.
        var olderUnfinishedRequest = false
        /// It started a journey.
        var started = false
        /// The journey list was full, so its oldest went to make room.
        var droppedOldest = false
        /// The request journey (its index) it moved on went from in flight to delivered, unfinished.
        var delivered: Int?
    }

    /// Adds a sighting to the journey it continues, or starts one.
    ///
    /// A sighting continues a journey with the same signature (leg, IP id, length, L4
    /// invariant) whose sightings are within `journeyWindow`, unless that journey was
    /// already seen at this point (a packet crosses a point once: a repeat is a new packet).
    func place(_ hop: Hop, signature sig: JourneySignature, echoSeq: UInt16?, error: (UInt8, UInt8)?,
               in f: inout Flow) -> Placed {
        let window = EventTime.micros(seconds: journeyWindow)  // checked: Int64(Double) traps past its range
        if let i = f.indexedJourney(sig),
           hop.time.micros(since: f.journeys[i].lastTime).magnitude <= window.magnitude,
           hop.time.micros(since: f.journeys[i].firstTime).magnitude <= window.magnitude,
           !f.journeys[i].hops.contains(point: hop.point) {
            let wasUnfinished = f.journeys.isUnfinishedRequest(at: i)
            let wasInFlight = f.journeys[i].verdict.state == .inFlight
            if let progressOnly = appendInPathOrder(hop, to: i, in: &f) {
                // Unfinished before too: a journey settled (vanished, say) and now seen again
                // may change the verdict, whichever journey it is.
                let unfinished = wasUnfinished && f.journeys.isUnfinishedRequest(at: i)
                let newest = i == f.journeys.count - 1
                return Placed(natLearnt: NATLearner.learn(journey: i, pairsFrom: f.journeys[i].hops.count - 1,
                                                          knowsPaths: paths.knowsPaths, in: &f),
                              progressOnly: progressOnly, unfinishedRequest: unfinished && newest ? f.journeys[i].id : nil,
                              olderUnfinishedRequest: !newest && unfinished,
                              delivered: unfinished && wasInFlight && f.journeys[i].verdict.state == .delivered ? i : nil)
            }
            f.journeys[i].hops.append(hop)
            f.journeys[i].firstTime = min(f.journeys[i].firstTime, hop.time)
            f.journeys[i].lastTime = max(f.journeys[i].lastTime, hop.time)
            f.journeys[i].settled = false
            return Placed(natLearnt: reorder(i, in: &f))
        }
        let id = f.nextJourneyID
        // Room for as many hops as the flow's newest journey's path has (`arrange` makes room
        // for the path it works out; this spares it a second buffer in the usual case).
        let room = f.journeys.isEmpty ? 1 : f.journeys[f.journeys.count - 1].path.count
        let j = Journey(id: id, leg: sig.leg, hops: HopList(CollectionOfOne(hop), capacity: room), path: [], verdict: Verdict(.inFlight, at: hop.point, reason: ""),
                        settled: false, icmpSeq: echoSeq, icmpError: error, firstTime: hop.time, lastTime: hop.time, signature: sig)
        f.nextJourneyID += 1
        // Placed where it started (not always last: batches from several points).
        let held = f.journeys.count
        guard let at = append(consume j, to: &f) else { return Placed() }
        let learnt = reorder(at, in: &f)
        // The newest request, just started: it answers nothing, so it decides nothing yet.
        let newest = sig.leg == .request && at == f.journeys.count - 1
        return Placed(natLearnt: learnt, unfinishedRequest: newest ? id : nil, started: true, droppedOldest: f.journeys.count == held)
    }

    /// The judgement while no exchange has finished and the verdict is the latest delivered
    /// request's "awaiting reply" (`VerdictPolicy.flow`'s in-flight verdict, not the latest
    /// journey's own), when this sighting cannot have changed more than that: nil when the
    /// policy must judge. Under a flood on one flow this is most sightings: its journeys roll
    /// out of the bounded list long before any settles.
    ///
    /// - A request going from in flight to delivered, still unanswered, finishes no exchange:
    ///   it becomes the verdict when no later request was delivered.
    /// - The newest request starting, still in flight, changes nothing (one seen first at the
    ///   path's end is delivered at once: it becomes the verdict). Unless the list's oldest
    ///   journey went to make room: an answer may have been tied to it (whose request, a capture
    ///   gap, decided nothing: alone, the answer is an exchange of its own), or it may have been
    ///   the only delivered request. So with one gone, only a list of requests alone, one of
    ///   them delivered, is left as it was.
    static func stillAwaiting(_ f: Flow, _ placed: Placed) -> VerdictPolicy.Judgement? {
        guard !f.verdictSettled, !f.verdictByLatest else { return nil }
        var verdict = f.verdict
        if let i = placed.delivered {
            var laterDelivered = false
            for k in (i + 1)..<f.journeys.count where f.journeys[k].leg == .request && f.journeys[k].verdict.state == .delivered {
                laterDelivered = true
                break
            }
            if !laterDelivered {
                verdict = f.journeys[i].verdict
                verdict.suffixAwaiting()
            }
        } else if placed.started, placed.unfinishedRequest != nil, f.journeys[f.journeys.count - 1].verdict.state == .inFlight {
            if placed.droppedOldest {
                var delivered = false
                for k in f.journeys.indices {
                    guard f.journeys[k].leg == .request else { return nil }
                    if f.journeys[k].verdict.state == .delivered { delivered = true }
                }
                guard delivered else { return nil }
            }
        } else {
            return nil
        }
        return VerdictPolicy.Judgement(verdict: verdict, settled: false, byLatest: false, pendingJourneyID: nil, answered: false)
    }

    /// The usual sighting, cheaply: the packet one point further along the path its
    /// journey already has, no earlier than its first sighting. Then `arrange` would
    /// choose the same path (same earliest sighting, every hop on it) and leave the hops
    /// in order with this one last, so only its delta and the verdict need working out.
    /// Returns nil (nothing changed) when the full re-placing is needed, else whether the
    /// sighting only moved an in-flight journey on.
    private func appendInPathOrder(_ hop: Hop, to i: Int, in f: inout Flow) -> Bool? {
        let n = f.journeys[i].hops.count
        guard paths.knowsPaths, f.journeys[i].pathEpoch == pathEpoch, hop.time >= f.journeys[i].firstTime, n > 0 else { return nil }
        // Hops are in path order, so the last one being on the path means all of them are.
        guard let lastAt = f.journeys[i].path.firstIndex(of: f.journeys[i].hops.point(at: n - 1)),
              let at = f.journeys[i].path.firstIndex(of: hop.point), at > lastAt else { return nil }
        let wasInFlight = !f.journeys[i].settled && f.journeys[i].verdict.state == .inFlight && f.journeys[i].leg != .error
        var hop = hop
        hop.deltaMicros = Self.delta(hop.time, after: f.journeys[i].hops.time(at: n - 1))
        f.journeys[i].hops.append(hop)
        f.journeys[i].lastTime = max(f.journeys[i].lastTime, hop.time)
        f.journeys[i].settled = false
        f.journeys[i].verdict = journeyVerdict(f.journeys[i], sortedByPath: true)
        return wasInFlight && f.journeys[i].verdict.state == .inFlight
    }

    /// Time from one hop to the next in causal order, never negative: two capture points
    /// stamp the same packet from different places in the kernel, and the later point's
    /// stamp can come a few microseconds before the earlier one's. The order is the path's;
    /// a negative gap is clock noise, shown as 0.
    static func delta(_ t: EventTime, after previous: EventTime) -> Int64 {
        max(0, t.micros(since: previous))
    }

    /// Takes in a journey from a merged flow: joins the matching journey or becomes one.
    func absorb(_ j: Journey, into f: inout Flow) {
        if let i = f.indexedJourney(j.signature),
           j.firstTime.micros(since: f.journeys[i].lastTime).magnitude <= EventTime.micros(seconds: journeyWindow).magnitude,
           !f.journeys[i].hops.contains(where: { h in j.hops.contains { $0.point == h.point } }) {
            f.journeys[i].hops += j.hops
            f.journeys[i].firstTime = min(f.journeys[i].firstTime, j.firstTime)
            f.journeys[i].lastTime = max(f.journeys[i].lastTime, j.lastTime)
            f.journeys[i].settled = f.journeys[i].settled && j.settled
            return
        }
        var j = j
        j.indexed = false
        j.id = f.nextJourneyID
        f.nextJourneyID += 1
        append(j, to: &f)
    }

    /// Appends a journey, keeping the list sorted by first sighting and bounded, and its index in step.
    /// Returns where the journey now is (nil: it was older than all the list keeps).
    @discardableResult
    private func append(_ j: consuming Journey, to f: inout Flow) -> Int? {
        let current = f.indexedJourney(j.signature)
        if current.map({ f.journeys[$0].lastTime <= j.lastTime }) ?? true {
            if let k = current { f.journeys[k].indexed = false }
            j.indexed = true
        }
        // The oldest goes, and with it its index entry if it had one.
        return f.journeys.insert(consume j, bound: maxJourneysPerFlow)
    }

    /// Re-places every journey (after conntrack told us the translated destination).
    func reorderAll(_ f: inout Flow) -> Bool {
        var learnt = false
        for i in f.journeys.indices where reorder(i, in: &f) { learnt = true }
        return learnt
    }

    /// Where a packet to `dst` is really going, as conntrack knows it: the DNAT target
    /// for requests to the published address, the original source for replies to the
    /// SNAT'd address.
    func translatedDst(_ dst: IPAddress, in f: Flow) -> IPAddress? {
        Self.translatedDst(dst, orig: f.orig, reply: f.reply)
    }

    static func translatedDst(_ dst: IPAddress, orig: FlowKey, reply: FlowKey?) -> IPAddress? {
        guard let r = reply else { return nil }
        if dst == r.dst && r.dst != orig.src { return orig.src }
        if dst == orig.dst && orig.dst != r.src { return r.src }
        return nil
    }

    /// Orders a journey's hops by path position, then time; recomputes deltas and the
    /// journey's verdict; learns NAT rewrites between consecutive points. Returns whether a rewrite was learnt.
    ///
    /// The origin is the sighting whose expected path covers the most of the journey's
    /// points (the earliest sighting is tried first and usually covers them all).
    func reorder(_ i: Int, in f: inout Flow) -> Bool {
        let orig = f.orig, reply = f.reply
        // Asked once for both (a call through the provider existential).
        let knowsPaths = paths.knowsPaths
        arrange(&f.journeys[i], orig: orig, reply: reply, knowsPaths: knowsPaths)
        return NATLearner.learn(journey: i, knowsPaths: knowsPaths, in: &f)
    }

    /// `reorder` on the journey alone, in place (no copy of its hops).
    private func arrange(_ j: inout Journey, orig: FlowKey, reply: FlowKey?, knowsPaths: Bool) {
        var path: [CapturePoint] = []
        if knowsPaths, !j.hops.isEmpty {
            func score(_ p: [CapturePoint]) -> Int {
                var n = 0
                for h in j.hops where p.contains(h.point) { n += 1 }
                return n
            }
            // The earliest sighting first (the first of equals, as a stable sort would put it).
            var first = 0
            for k in j.hops.indices.dropFirst() where j.hops[k].time < j.hops[first].time { first = k }
            let h0 = j.hops[first]
            let p0 = expectedPath(firstSeen: h0.point, dst: h0.dst,
                                  translatedDst: Self.translatedDst(h0.dst, orig: orig, reply: reply))
            if score(p0) == j.hops.count {
                path = p0
            } else {
                var bestScore = -1
                for h in j.hops.sorted(by: { $0.time < $1.time }) {
                    let p = expectedPath(firstSeen: h.point, dst: h.dst,
                                         translatedDst: Self.translatedDst(h.dst, orig: orig, reply: reply))
                    let s = score(p)
                    if s > bestScore {
                        path = p
                        bestScore = s
                    }
                    if s == j.hops.count { break }
                }
            }
        }
        j.path = path
        j.pathEpoch = pathEpoch
        // Room for the whole path at once: appending to a one-hop array grows it 1, 2, 4, 8.
        if j.hops.capacity < path.count { j.hops.reserveCapacity(path.count) }
        guard !j.hops.isEmpty else {
            j.verdict = journeyVerdict(j)
            return
        }
        func position(_ h: Hop) -> Int { path.firstIndex(of: h.point) ?? Int.max }
        // Sorting is stable: hops already in order (the usual case, a packet seen one
        // point further on) stay as they are.
        var sorted = true
        var prev = (position(j.hops[0]), j.hops[0].time)
        for k in j.hops.indices.dropFirst() {
            let cur = (position(j.hops[k]), j.hops[k].time)
            if cur < prev {
                sorted = false
                break
            }
            prev = cur
        }
        if !sorted { j.hops.sort { (position($0), $0.time) < (position($1), $1.time) } }
        if position(j.hops[0]) == Int.max { Self.senderFirst(&j.hops) }
        for k in j.hops.indices {
            j.hops[k].deltaMicros = k == 0 ? nil : Self.delta(j.hops[k].time, after: j.hops[k - 1].time)
        }
        j.verdict = journeyVerdict(j, sortedByPath: true)
    }

    /// Off any known path (multicast, broadcast, an unknown topology) hops are in time order,
    /// but the sender's own interface can stamp its copy a few microseconds after a
    /// receiver does: the packet left the sender first, so the earliest outbound sighting
    /// near the start (within a millisecond) goes first.
    static func senderFirst(_ hops: inout HopList) {
        guard hops.count > 1, hops[0].dir != .outbound else { return }
        let start = hops[0].time
        guard let k = hops.indices.dropFirst().first(where: { hops[$0].dir == .outbound }),
              hops[k].time.micros(since: start) <= 1_000 else { return }
        let sender = hops.remove(at: k)
        hops.insert(sender, at: 0)
    }
}

extension JourneyList {
    /// Whether journey `i` is a request still going or awaiting its answer (the verdict
    /// policy's unfinished, when no answer is tied to it). Each field is read where it lies:
    /// a property of `Journey` that reads its verdict, read through the subscript, copied the
    /// whole journey first (retaining its hops, path and texts), twice a sighting.
    func isUnfinishedRequest(at i: Int) -> Bool {
        let state = self[i].verdict.state
        return self[i].leg == .request && !self[i].settled && (state == .inFlight || state == .delivered)
    }
}
