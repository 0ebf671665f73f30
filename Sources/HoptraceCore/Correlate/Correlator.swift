/// Joins packets seen at many capture points and conntrack events into flows: the
/// same packet's hops in path order, the NAT rewrites between them, and a verdict.
///
/// Single-threaded: the one event loop owns it and feeds it events as they come
/// (batched per capture point, not merged by time) and calls `advance(to:)` with its
/// clock. Every operation is O(1) amortised in the number of flows: its `FlowTable` finds
/// flows through a key index, expiry through a deadline heap, eviction through an LRU list.
public final class Correlator {
    public struct Stats: Sendable, Equatable {
        public var live = 0
        public var created = 0
        public var evicted = 0
        public var merged = 0
        public var ended = 0
        /// Non-IP frames (ARP) and packets without addresses.
        public var ignored = 0
        /// Non-first IP fragments: no transport header, so no flow key; not followed.
        public var fragments = 0
    }

    /// Sizes of the internal collections, for tests and memory accounting.
    public struct Sizes: Sendable, Equatable {
        public var flows: Int
        /// Key index entries: one serves a key and its reverse.
        public var keyIndex: Int
        public var lru: Int
        public var deadlines: Int
        /// The largest journey list and journey index of any flow.
        public var maxJourneys: Int
        public var maxJourneyIndex: Int
        public var maxEvents: Int
        public var pathCache: Int
    }

    public let paths: any HopPathProvider
    public let lossTimeout: Double
    public let maxFlows: Int
    /// Sightings of the same packet further apart than this start a new journey.
    public let journeyWindow: Double
    public let maxJourneysPerFlow: Int
    public let maxEventsPerFlow: Int
    public private(set) var stats = Stats()
    /// The flow the last ingested packet or conntrack event belongs to (nil: none, e.g. ARP):
    /// what a packet or conntrack NDJSON line carries as `flow`.
    public private(set) var lastFlowID: Int?
    /// Tests: every change is judged by the policy in full (`judge`'s shortcuts off), to show
    /// the shortcuts conclude what the full judgement would; and how many full ones there were.
    var judgesInFull = false
    private(set) var fullJudgements = 0

    private var table: FlowTable
    private var pending: [Pending] = []
    private var pathCache: [PathQuery: [CapturePoint]] = [:]
    private static let pathCacheLimit = 4096

    private var lastPath: (query: PathQuery, path: [CapturePoint])?
    /// Counts topology changes: a journey's path from an earlier epoch is asked for again.
    /// Wraps (compared for equality only: a journey would need 2^32 topology changes to look current again).
    private(set) var pathEpoch: UInt32 = 0
    /// Judges journeys and flows (pure: the correlator stores what it says).
    let policy: VerdictPolicy
    /// How many verdict changes a flow keeps in its history.
    static let historyLimit = 16
    /// When each point's capture dropped packets (the last few spells per point).
    private var captureLosses: [CapturePoint: [CaptureLoss]] = [:]

    struct CaptureLoss {
        var from: EventTime
        var to: EventTime
        var dropped: Int
    }

    private struct PathQuery: Hashable {
        var firstSeen: CapturePoint
        var dst: IPAddress
        var translatedDst: IPAddress?
    }

    public init(paths: any HopPathProvider, lossTimeout: Double = 1.0, maxFlows: Int = 50_000,
                journeyWindow: Double = 2.0, maxJourneysPerFlow: Int = 32, maxEventsPerFlow: Int = 16) {
        self.paths = paths
        self.lossTimeout = lossTimeout
        policy = VerdictPolicy(paths: paths, lossTimeout: lossTimeout)
        self.maxFlows = max(1, maxFlows)
        table = FlowTable(maxFlows: maxFlows)
        self.journeyWindow = journeyWindow
        self.maxJourneysPerFlow = min(max(1, maxJourneysPerFlow), 1 << 20)  // the ring counts in 21 bits
        self.maxEventsPerFlow = max(1, maxEventsPerFlow)
    }

    /// The provider's answer, remembered: a journey is re-placed on every sighting and
    /// the real provider walks the topology. Bounded; `topologyChanged()` forgets it.
    func expectedPath(firstSeen: CapturePoint, dst: IPAddress, translatedDst: IPAddress?) -> [CapturePoint] {
        let q = PathQuery(firstSeen: firstSeen, dst: dst, translatedDst: translatedDst)
        // A packet's sightings come one after another and ask the same question.
        if let last = lastPath, last.query == q { return last.path }
        if let p = pathCache[q] {
            lastPath = (q, p)
            return p
        }
        let p = paths.expectedPath(firstSeen: firstSeen, dst: dst, translatedDst: translatedDst)
        if pathCache.count >= Self.pathCacheLimit { pathCache.removeAll(keepingCapacity: true) }
        // (lastPath is replaced just below.)
        pathCache[q] = p
        lastPath = (q, p)
        return p
    }

    /// Call when links, routes or addresses changed: paths are asked for again.
    /// Attaches a diagnosis (why, rule, fix) to a flow's problem verdict; it stays while
    /// the verdict remains a problem. Returns the flow as it now stands.
    @discardableResult
    public func annotate(_ id: Int, with d: Diagnosis) -> Flow? {
        guard let box = table.box(id) else { return nil }
        guard box.flow.verdict.isProblem else { return box.flow }
        box.flow.diagnosis = d
        if let last = box.flow.history.last, last.to == box.flow.verdict.state, last.time == box.flow.verdictSince {
            box.flow.history[box.flow.history.count - 1].note = Self.changeNote(box.flow.verdict, why: d.reason, flow: box.flow)
        }
        box.flow.verdict.explain(with: d)
        return box.flow
    }

    /// Ties a flow to the userland proxy that relayed it (`ProxyLinker`). Returns the flow as it now stands.
    @discardableResult
    public func annotate(_ id: Int, proxy link: ProxyLink) -> Flow? {
        guard let box = table.box(id) else { return nil }
        box.flow.proxy = link
        return box.flow
    }

    /// The kernel dropped `dropped` packets at `point` between `from` and `to` (its
    /// capture buffer was full). A journey last seen just before such a point around then
    /// is judged `uncaptured`, not `vanished`: the packet may have passed unseen.
    public func captureLost(at point: CapturePoint, dropped: Int, from: EventTime, to: EventTime) {
        guard dropped > 0 else { return }
        var spells = captureLosses[point] ?? []
        // Checks a second apart or less make one spell.
        if let last = spells.last, from.micros(since: last.to) <= 1_000_000 {
            spells[spells.count - 1].to = max(last.to, to)
            spells[spells.count - 1].dropped += dropped
        } else {
            spells.append(CaptureLoss(from: from, to: to, dropped: dropped))
            if spells.count > 16 { spells.removeFirst(spells.count - 16) }
        }
        captureLosses[point] = spells
    }

    /// The spell of capture loss at `point` that a packet sighted at `time` one point
    /// earlier may have fallen into (the drop is noticed after it happened, hence the margin).
    func captureLoss(at point: CapturePoint, around time: EventTime) -> CaptureLoss? {
        captureLosses[point]?.last { time >= $0.from.adding(seconds: -0.5) && time <= $0.to.adding(seconds: 0.1) }
    }

    /// A journey's own verdict (the policy's, with this correlator's capture losses).
    func journeyVerdict(_ j: Journey, sortedByPath: Bool = false) -> Verdict {
        policy.journey(j, sortedByPath: sortedByPath, capturingSince: capturingSince) { self.captureLoss(at: $0, around: $1) }
    }

    /// When the last watched point started capturing (a live run opens them one after another):
    /// before then, a journey missing at a point is a gap in the capture, not a drop.
    public var capturingSince: EventTime?

    public func topologyChanged() {
        pathCache.removeAll()
        lastPath = nil
        pathEpoch &+= 1
    }

    // MARK: - Reading

    public func flow(_ id: Int) -> Flow? { table.box(id)?.flow }

    /// Every flow held, by id.
    public var allFlows: [Flow] { table.flowsByID }

    /// The live flow a packet with this key belongs to.
    public func flowID(for key: FlowKey) -> Int? { table.id(for: key) }

    public var sizes: Sizes {
        let boxes = table.boxes
        return Sizes(flows: table.count, keyIndex: table.keyIndexCount, lru: table.lruCount, deadlines: table.deadlineCount,
                     maxJourneys: boxes.map(\.flow.journeys.count).max() ?? 0,
                     maxJourneyIndex: boxes.map(\.flow.journeyIndexCount).max() ?? 0,
                     maxEvents: boxes.map(\.flow.events.count).max() ?? 0, pathCache: pathCache.count)
    }

    // MARK: - Packets

    public func ingest(packet p: DecodedPacket, at point: CapturePoint, time: EventTime) -> [FlowChange] {
        lastFlowID = nil
        if let frag = p.fragment, frag.offset > 0 {
            stats.fragments += 1
            return []
        }
        guard let key = FlowKey(packet: p), let src = p.src, let dst = p.dst else {
            stats.ignored += 1
            return []
        }
        var hop = Hop(point: point, dir: p.direction, time: time, src: src, dst: dst, ttl: p.ttl)
        var echoSeq: UInt16?, echo = false, error: (UInt8, UInt8)?
        switch p.transport {
        case .icmp(let type, let code, let id, let seq), .icmpv6(let type, let code, let id, let seq):
            let v6 = p.proto == IPProtocol.icmpv6
            if type == (v6 ? 128 : 8) || type == (v6 ? 129 : 0) {
                echo = true
                echoSeq = seq
                hop.icmpID = id
            } else if p.quoted != nil && Self.isError(type: type, v6: v6) {
                error = (type, code)
            }
        case .tcp(let s, let d, _, _, _, _), .udp(let s, let d):
            hop.sport = s
            hop.dport = d
        default:
            break
        }

        let box: FlowBox, leg: Journey.Leg
        if let error, let q = p.quoted {
            let qk = FlowKey(quoted: q)
            if let id = table.id(for: qk) ?? table.id(for: qk.reversed()), let b = table.box(id) {
                box = b
            } else {
                box = createFlow(orig: qk, echo: q.icmpID != nil, time: time)
            }
            leg = .error
            box.flow.relatedPackets += 1
            box.flow.lastError = Flow.RelatedError(type: error.0, code: error.1, from: src, at: point, time: time)
        } else if let b = table.box(for: key) {
            box = b
            leg = b.flow.isRequestKey(key) ? .request : .reply
            if leg == .request { b.flow.requestPackets += 1 } else { b.flow.replyPackets += 1 }
        } else {
            box = createFlow(orig: key, echo: echo, time: time)
            leg = .request
            box.flow.requestPackets += 1
        }
        table.touch(box)
        lastFlowID = box.flow.id
        let sig = JourneySignature(packet: p, leg: leg)
        update(box, now: time) { f in
            f.firstSeen = min(f.firstSeen, time)
            f.lastSeen = max(f.lastSeen, time)
            let placed = self.place(hop, signature: sig, echoSeq: echoSeq, error: error, in: &f)
            return Step(what: placed.natLearnt ? .nat : [], placed: placed)
        }
        return flush()
    }

    static func isError(type: UInt8, v6: Bool) -> Bool {
        v6 ? (1...4).contains(type) : [3, 4, 5, 11, 12].contains(type)
    }

    // MARK: - Conntrack

    public func ingest(conntrack e: ConntrackEvent, netns: String?, time: EventTime) -> [FlowChange] {
        let ok = FlowKey(tuple: e.orig, proto: e.proto), rk = FlowKey(tuple: e.reply, proto: e.proto)
        lastFlowID = nil
        if e.kind == .destroy {
            guard let fid = table.id(for: ok) ?? table.id(for: rk), let box = table.box(fid) else { return [] }
            lastFlowID = fid
            update(box, now: time) { f in
                self.record(e, netns: netns, time: time, in: &f)
                self.settle(&f, now: .distantFuture)
                f.ended = true
                return Step(what: .conntrack)
            }
            table.unindex(fid)
            stats.ended += 1
            pending.append(Pending(kind: .ended, id: fid, what: .destroyed, snapshot: box.flow))
            return flush()
        }

        // The flow named by the orig tuple, else any provisional flow one of the
        // entry's keys reaches (e.g. only the NATed packets on the uplink were seen).
        // A key and its reverse share one index entry: the two tuples cover all four keys.
        let keys = [ok, rk]
        let fid = table.id(for: ok) ?? table.id(for: rk)
        let box: FlowBox
        if let fid, let b = table.box(fid) {
            box = b
        } else {
            box = createFlow(orig: ok, echo: e.orig.icmp != nil, time: time)
            box.flow.verdict = Verdict(.inFlight, at: nil, reason: "conntrack entry only: no packet seen yet")
        }
        let id = box.flow.id
        lastFlowID = id

        // The flow's keys become conntrack's: forget the ones it had (a tuple that changed would
        // otherwise stay in the index for good, pointing at this flow).
        table.unindex(id)
        // Orient the flow the way conntrack does before taking its tuples.
        if Self.isFlipped(box.flow, orig: ok, reply: rk) { Self.flip(&box.flow) }
        box.flow.orig = ok
        box.flow.reply = rk
        box.flow.proto = e.proto
        if e.orig.icmp != nil { box.flow.echo = true }
        var what: FlowChange.What = .conntrack
        for k in keys {
            if let other = table.id(for: k), other != id, let o = table.box(other), o.flow.conntrackID == nil || o.flow.ended {
                merge(other, into: box)
                what.insert(.merged)
            }
        }
        table.index(id)
        table.touch(box)
        update(box, now: time) { f in
            self.record(e, netns: netns, time: time, in: &f)
            var w = what
            if NATLearner.learn(fromConntrack: e, in: &f) { w.insert(.nat) }
            // conntrack may have told us where a NATed packet is really going: re-place every journey.
            if self.reorderAll(&f) { w.insert(.nat) }
            return Step(what: w)
        }
        return flush()
    }

    // MARK: - Time

    /// Settles journeys whose last sighting is more than lossTimeout before `now`.
    public func advance(to now: EventTime) -> [FlowChange] {
        while let box = table.popDue(at: now) {
            update(box, now: now) { f in
                self.settle(&f, now: now)
                return Step()
            }
        }
        return flush()
    }

    // MARK: - Table upkeep

    private struct Pending {
        var kind: FlowChange.Kind
        var id: Int
        var what: FlowChange.What
        var mergedInto: Int?
        var changedFrom: Verdict.State?
        var snapshot: Flow?
    }

    /// What a change to a flow did, before it is judged.
    struct Step {
        var what: FlowChange.What = []
        /// A sighting's: how it moved its journey (what `judge` may conclude without the policy).
        var placed = Placed()
    }

    /// Turns what this call did into changes, one per flow and kind, with snapshots.
    private func flush() -> [FlowChange] {
        if pending.isEmpty { return [] }
        defer { pending.removeAll(keepingCapacity: true) }
        if pending.count == 1 {
            let p = pending[0]
            guard let snap = p.snapshot ?? table.box(p.id)?.flow else { return [] }
            return [FlowChange(kind: p.kind, flowID: p.id, what: p.what, mergedInto: p.mergedInto, changedFrom: p.changedFrom, flow: snap)]
        }
        var out: [FlowChange] = []
        var at: [Int: Int] = [:]
        for p in pending {
            if p.kind != .ended, let i = at[p.id] {
                out[i].what.formUnion(p.what)
                // The state it changed from first.
                if out[i].changedFrom == nil { out[i].changedFrom = p.changedFrom }
                continue
            }
            guard let snap = p.snapshot ?? table.box(p.id)?.flow else { continue }
            if p.kind != .ended { at[p.id] = out.count }
            out.append(FlowChange(kind: p.kind, flowID: p.id, what: p.what, mergedInto: p.mergedInto, changedFrom: p.changedFrom, flow: snap))
        }
        // A flow created and ended within the same call reports only its end.
        let endedIDs = Set(out.filter { $0.kind == .ended }.map(\.flowID))
        out.removeAll { $0.kind != .ended && endedIDs.contains($0.flowID) }
        for i in out.indices where out[i].kind != .ended {
            if let b = table.box(out[i].flowID) { out[i].flow = b.flow }
            // Changed and changed back within one call: no change.
            if out[i].changedFrom == out[i].flow.verdict.state {
                out[i].changedFrom = nil
                out[i].what.remove(.stateChanged)
            }
        }
        return out
    }

    private func createFlow(orig: FlowKey, echo: Bool, time: EventTime) -> FlowBox {
        // The least recently seen flows make room, each reported as it goes.
        while let victim = table.evictForRoom() {
            stats.evicted += 1
            pending.append(Pending(kind: .ended, id: victim.flow.id, what: .evicted, snapshot: victim.flow))
        }
        let box = table.insert(orig: orig, echo: echo, time: time)
        stats.created += 1
        stats.live = table.count
        pending.append(Pending(kind: .created, id: box.flow.id, what: []))
        return box
    }

    /// Moves `other`'s journeys, counters and events into `id` and forgets `other`.
    private func merge(_ other: Int, into box: FlowBox) {
        guard var o = table.remove(other)?.flow else { return }
        stats.merged += 1
        stats.live = table.count
        pending.append(Pending(kind: .ended, id: other, what: .merged, mergedInto: box.flow.id, snapshot: o))
        mergeValues(&o, into: &box.flow)
    }

    private func mergeValues(_ o: inout Flow, into f: inout Flow) {
        if Self.isFlipped(o, orig: f.orig, reply: f.reply ?? f.orig.reversed()) { Self.flip(&o) }
        f.requestPackets += o.requestPackets
        f.replyPackets += o.replyPackets
        f.relatedPackets += o.relatedPackets
        f.firstSeen = min(f.firstSeen, o.firstSeen)
        f.lastSeen = max(f.lastSeen, o.lastSeen)
        if let e = o.lastError, f.lastError.map({ $0.time < e.time }) ?? true { f.lastError = e }
        if f.proxy == nil { f.proxy = o.proxy }
        f.setEvents((Array(f.events) + o.events).sorted { $0.time < $1.time }.suffix(self.maxEventsPerFlow))
        for j in o.journeys { self.absorb(j, into: &f) }
    }

    /// Does `f` (oriented by its own first packet) run the other way round from an entry with these tuples?
    static func isFlipped(_ f: Flow, orig: FlowKey, reply: FlowKey) -> Bool {
        let back = reply.reversed()
        func theirRequest(_ k: FlowKey) -> Bool { k == orig || k == back }
        let fReplyReversed = f.reply?.reversed() ?? f.orig
        if theirRequest(f.orig) || theirRequest(fReplyReversed) { return false }
        return theirRequest(f.reply ?? f.orig.reversed()) || theirRequest(f.orig.reversed())
    }

    /// Turns a flow round: its requests become replies and the other way round.
    static func flip(_ f: inout Flow) {
        f.orig = f.reply?.reversed() ?? f.orig.reversed()
        f.reply = nil
        (f.requestPackets, f.replyPackets) = (f.replyPackets, f.requestPackets)
        for i in f.journeys.indices { f.journeys[i].indexed = false }
        for i in f.journeys.indices where f.journeys[i].leg != .error {
            f.journeys[i].leg = f.journeys[i].leg == .request ? .reply : .request
            f.journeys[i].signature.leg = f.journeys[i].leg
            // Re-indexed in list order: the last journey with a signature wins.
            if let k = f.indexedJourney(f.journeys[i].signature) { f.journeys[k].indexed = false }
            f.journeys[i].indexed = true
        }
        // Rewrites were learnt the wrong way round; the journeys will teach them again.
        NATLearner.forget(in: &f)
    }

    private func record(_ e: ConntrackEvent, netns: String?, time: EventTime, in f: inout Flow) {
        // Fresh evidence of an answer: the entry saw a reply for the first time, or its
        // reply counter grew. A status set long ago says nothing about later requests.
        let replied = e.status.contains(.seenReply)
        if replied && !f.seenReply { f.replySeenAt = time }
        if let c = e.counters {
            if let before = f.replyPacketsCounted, c.replyPackets > before { f.replySeenAt = time }
            f.replyPacketsCounted = c.replyPackets
        }
        // The last one is the flow's conntrack state (`conntrackID`, `conntrackStatus`, …).
        f.appendEvent(Flow.ConntrackRecord(time: time, event: e), keepingLast: maxEventsPerFlow)
        f.conntrackNetns = netns
        if replied { f.seenReply = true }
        f.lastSeen = max(f.lastSeen, time)
    }

    /// Mutates the flow in place (`body` may call back into the correlator but must not
    /// touch the flow table), then re-judges it, schedules its next deadline and records what changed.
    private func update(_ box: FlowBox, now: EventTime, _ body: (inout Flow) -> Step) {
        let (what, from) = judge(&box.flow, now: now, body)
        table.compactDeadlines()
        if !what.isEmpty { pending.append(Pending(kind: .updated, id: box.flow.id, what: what, changedFrom: from)) }
    }

    /// `update` within one access to the flow (no copy of it). Returns what changed and,
    /// when the settled verdict's state changed, the state it changed from.
    private func judge(_ f: inout Flow, now: EventTime, _ body: (inout Flow) -> Step) -> (FlowChange.What, Verdict.State?) {
        let step = body(&f)
        var what = step.what
        // The verdict rests on finished exchanges; this journey is still in flight. The deadline
        // already set is no later than this journey's (it was unsettled before).
        let placed = step.placed
        if f.scheduled != nil && !judgesInFull {
            if placed.progressOnly && !f.verdictByLatest { return (what, nil) }
            // A settled verdict rests on finished exchanges; an unfinished request is only pending.
            // Unless the list's oldest journey went to make room: it may have been part of the
            // deciding exchange (an answer's request, a run of unanswered requests).
            if let id = placed.unfinishedRequest, f.verdictSettled, !placed.droppedOldest {
                f.pendingJourneyID = id
                return (what, nil)
            }
            if placed.olderUnfinishedRequest && f.verdictSettled { return (what, nil) }
        }
        let judgement: VerdictPolicy.Judgement
        if !judgesInFull, let awaiting = Self.stillAwaiting(f, placed) {
            judgement = awaiting
        } else {
            fullJudgements += 1
            judgement = policy.flow(f)
        }
        var after = judgement.verdict
        f.verdictByLatest = judgement.byLatest
        f.verdictSettled = judgement.settled
        f.pendingJourneyID = judgement.pendingJourneyID
        f.decidedJourneyID = judgement.decidedJourneyID
        if judgement.answered { f.everAnswered = true }
        let before = f.verdict
        // A diagnosis explains one problem: another problem (or the same one elsewhere) needs its own.
        if after.state != before.state || after.at != before.at { f.diagnosis = nil }
        if after.isProblem, let d = f.diagnosis { after.explain(with: d) } else if !after.isProblem { f.diagnosis = nil }
        // A packet making progress (in flight after veth1, then after docker1) is not news;
        // reaching a verdict, or a verdict changing, is.
        // Nor is the same verdict at the same place re-worded as sightings fill in (a batch
        // from the last point arrives first: "delivered in 1 hop", then "in 5 hops").
        if after.state != before.state || after.hint != before.hint || after.fix != before.fix
            || (after.state != .inFlight && after.at != before.at) {
            what.insert(.verdict)
        }
        // The settled state's history: a change only when a finished exchange ended differently.
        var from: Verdict.State?
        if judgement.settled {
            let settled = f.history.last?.to
            if settled != after.state {
                let old = settled ?? before.state
                from = old
                what.insert(.stateChanged)
                // At the end of a replay `now` is past everything: the change happened when the flow's last evidence settled.
                let changedAt = min(now, f.lastSeen.adding(seconds: lossTimeout))
                f.verdictSince = changedAt
                f.history.append(VerdictChange(time: changedAt, from: old, to: after.state, note: Self.changeNote(after, why: nil, flow: f)))
                if f.history.count > Self.historyLimit { f.history.removeFirst(f.history.count - Self.historyLimit) }
            }
        }
        f.verdict = after
        var earliest: EventTime?
        // By index: iterating would copy every journey (hops, path, verdict) on every sighting.
        for i in f.journeys.indices where !f.journeys[i].settled {
            let last = f.journeys[i].lastTime
            if earliest.map({ last < $0 }) ?? true { earliest = last }
        }
        if let earliest {
            let next = earliest.adding(seconds: lossTimeout)
            if f.scheduled.map({ next < $0 }) ?? true { table.schedule(&f, at: next) }
        }
        return (what, from)
    }

    /// What a history entry says of the verdict it changed to: its reason, and the likely
    /// cause where the flow's own record shows one (NAT seen before, none now).
    static func changeNote(_ v: Verdict, why: String?, flow f: Flow) -> String {
        var note = v.reason
        if v.state == .unreplied, v.hint?.hasPrefix("no SNAT") == true,
           f.nat.contains(where: { $0.kind == .snat && $0.fieldKind == .src }) {
            note = "SNAT stopped (MASQUERADE removed?): " + note
        }
        if let why { note += "; why: \(why)" }
        return note
    }

    /// Settles every journey whose deadline is at or before `now`.
    private func settle(_ f: inout Flow, now: EventTime) {
        for i in f.journeys.indices where !f.journeys[i].settled {
            if f.journeys[i].lastTime.adding(seconds: lossTimeout) <= now {
                f.journeys[i].settled = true
                f.journeys[i].verdict = journeyVerdict(f.journeys[i])
                // A settled journey rarely grows again: give back the room its hops grew into
                // (5 hops sit in room for 8).
                let hops = f.journeys[i].hops
                if hops.capacity > hops.count { f.journeys[i].hops = HopList(hops) }
            }
        }
    }
}
