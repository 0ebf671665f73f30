import HoptraceCapture
import HoptraceCore

/// What `watch` does with each event of the loop (live or replayed): feed the Session
/// (correlator + logs), diagnose problem verdicts, and hand what it concluded to the sinks
/// (a line format, a recording, the live view).
final class WatchPipeline {
    let paths = SwitchablePaths()
    private(set) var session: Session
    private var watched: Set<CapturePoint>
    /// Each sink gets every event as it came (`captured`: a recording's input) before the
    /// session sees it, then what the pipeline concluded (`write`, and `packet` for each
    /// packet sighting), in this order.
    var sinks: [any EventSink]
    /// Explain mode: the trace tables, and whether every new flow is traced (`--explain`)
    /// or only the ones the live view asks about (`x`).
    var explainer: Explainer?
    var traceNewFlows = false
    /// Pairs the flows a userland proxy (docker-proxy) relays; nil when none was found.
    var proxyLinker: ProxyLinker?
    /// The watched namespaces' rulesets, read for near misses (live runs only: a recording has none).
    var rulesets: RulesetCache?
    /// The watched namespaces' drop counters (read where they were opened) and their history:
    /// what an inferred verdict cites as the kernel's count.
    var counterFiles: [CounterFiles] = []
    private(set) var counters = CounterHistory()
    /// The kernel's drop reasons (machine-wide), when a tracefs instance could be made.
    var dropReasons: DropReasonTrace?
    private(set) var reasons = DropReasonHistory()
    /// A counter sample / a reason batch was handled (read live, or replayed from a recording):
    /// verdicts then cite them, as the live run did.
    private var countersKnown = false
    private var reasonsTraced = false
    /// Flows whose counted window still had requests in flight, with the window's start: once
    /// those are judged the flow is diagnosed again, so its count covers every request it names
    /// (the oldest go past `openWindowLimit`).
    private var openWindows: [(flow: Int, start: EventTime)] = []
    static let openWindowLimit = 1024
    private var lastCounterSample = -Double.infinity
    /// A packet or conntrack event came since the last sample: sample at the fast pace.
    private var active = false
    /// What diagnosis reads: the topology, and the namespaces' sysctls and iptables backend.
    private(set) var topology: Topology?
    /// Problems the topology shows before any packet (a container without a default route).
    private(set) var standing: [(netns: String?, diagnosis: Diagnosis)] = []
    private(set) var facts = FactsBook()
    var readFacts: () -> FactsBook = { FactsBook() }

    /// `keepsPacketLog`: only the live view shows recent packets.
    init(points: [CapturePoint], lossTimeout: Double, maxFlows: Int, keepsPacketLog: Bool = false, sinks: [any EventSink] = []) {
        watched = Set(points)
        self.sinks = sinks
        session = Session(points: points, correlator: Correlator(paths: paths, lossTimeout: lossTimeout, maxFlows: maxFlows))
        session.keepsPacketLog = keepsPacketLog
    }

    private func send(_ output: PipelineOutput) {
        for sink in sinks { sink.write(output) }
    }

    /// A point captured from now on (the live view's `w`): journeys expect it on their paths.
    func watch(_ point: CapturePoint) {
        // Journeys from before it opened were not seen whole there: they must not vanish at it.
        let now = Timestamp.now
        let opened = EventTime(seconds: now.seconds, micros: now.micros)
        session.correlator.capturingSince = max(session.correlator.capturingSince ?? opened, opened)
        watched.insert(point)
        if let topology { paths.current = TopologyPaths(topology, watched: watched) }
        session.correlator.topologyChanged()
    }

    /// The namespaces' topology, read at start (or from a recording): paths through the watched points.
    func use(topology: Topology, watching points: [CapturePoint]? = nil) {
        if let points { watched.formUnion(points) }
        paths.current = TopologyPaths(topology, watched: watched)
        self.topology = topology
        standing = MissingDefaultRoute.diagnoses(topology)
        let now = Timestamp.now
        for (netns, d) in standing {
            send(.standing(d, netns: netns, time: EventTime(seconds: now.seconds, micros: now.micros)))
        }
        session.correlator.topologyChanged()
    }

    func handle(_ event: CaptureLoop.Event) {
        for sink in sinks { sink.captured(event) }
        switch event {
        case .packet(let point, let pkt, let decoded):
            active = true
            let time = EventTime(seconds: pkt.seconds, micros: pkt.micros)
            switch decoded {
            case .success(let p):
                let changes = session.packet(p, at: point, time: time)
                let flow = session.correlator.lastFlowID
                for sink in sinks { sink.packet(p, at: point, pkt, flow: flow) }
                write(changes, time: time)
            case .failure(let e):
                session.malformed(at: point, time: time, error: e)
                send(.malformed(e, at: point, pkt))
            }
        case .conntrack(let netns, let e, let seconds, let micros):
            active = true
            let time = EventTime(seconds: seconds, micros: micros)
            let changes = session.conntrack(e, netns: netns, time: time)
            send(.conntrack(e, netns: netns, seconds: seconds, micros: micros, flow: session.correlator.lastFlowID))
            write(changes, time: time)
        case .conntrackLost(let netns, let overruns):
            let now = Timestamp.now
            session.stats([], conntrackLost: overruns)
            send(.conntrackLost(netns: netns, overruns: overruns, now: now))
        case .stats(let st):
            session.stats(st.points.map { ($0.point, $0.received, $0.dropped) }, conntrackLost: st.conntrackOverruns)
            let now = Timestamp.now
            send(.stats(st, flows: session.correlator.stats, now: now))
        case .captureLoss(let point, let dropped, let from, let to):
            session.correlator.captureLost(at: point, dropped: dropped, from: EventTime(seconds: from.seconds, micros: from.micros),
                                           to: EventTime(seconds: to.seconds, micros: to.micros))
            send(.captureLoss(point, dropped: dropped, to: to))
        case .pointLost(let point, let reason):
            session.pointLost(point, reason: reason)
            send(.pointLost(point, reason: reason, now: Timestamp.now))
        case .kernelCounters(let netns, let values, let time, _):
            counters.record(values: values, netns: netns, at: time)
            countersKnown = true
        case .dropReasons(let r):
            reasonsTraced = true
            for e in r.entries { reasons.append(e) }
            if let t = r.lostBefore { reasons.lost(before: t) }
        }
    }

    /// At the end of a run: every flow still alive as it finally stands (`event:"final"`),
    /// since hops that refine a verdict do not each produce a line.
    func finish(at time: EventTime) {
        for f in session.correlator.allFlows where !f.ended { send(.finalFlow(f, time: time)) }
    }

    /// The trace descriptors were readable: rule paths with a new final verdict become
    /// `trace` lines, tied to their flow.
    func traceReadable(now: EventTime) {
        guard let explainer else { return }
        for path in explainer.drain(now: now) {
            let flow = path.firstKey.flatMap { k in session.correlator.flowID(for: k) ?? session.correlator.flowID(for: k.reversed()) }
            send(.trace(path, flow: flow, time: now))
            // The kernel's word may explain a verdict already given: say it again, explained.
            if let flow, let change = diagnose(flow) { write([change], time: now) }
        }
    }

    /// A notice on the output (json: `type:KIND`; text: a `hoptrace:` line; the live view: nothing).
    func notice(_ kind: String, _ message: String) {
        send(.notice(kind: kind, message: message, now: Timestamp.now))
    }

    /// The namespaces' sysctls and iptables backend, which diagnosis rules read (again after a lab change).
    func refreshFacts() { facts = readFacts() }

    /// A problem verdict gets its why, rule and fix (Diagnoser) before it is written.
    private func diagnosed(_ change: FlowChange) -> FlowChange {
        guard change.kind != .ended, change.flow.verdict.isProblem,
              change.what.contains(.verdict) || change.flow.diagnosis == nil else { return change }
        return diagnose(change.flowID, change: change) ?? change
    }

    private func diagnose(_ id: Int, change: FlowChange? = nil) -> FlowChange? {
        guard let flow = change?.flow ?? session.correlator.flow(id), flow.verdict.isProblem else { return nil }
        let diagnosed = Diagnoser.diagnose(flow: flow, topology: topology, traces: explainer?.paths ?? [], facts: facts)
        // The rule or route that almost applied, where the live ruleset can be read.
        let sources = rulesets.map { cache in
            NearMissAnalysis.Sources(ruleset: { cache.ruleset($0) },
                                     iptablesRules: { cache.iptablesRules($0, table: $1, chain: $2, v6: $3) }, watched: watched)
        }
        guard let inferred = sources.map({ NearMissAnalysis.apply(diagnosed, input: DiagnosisInput(flow: flow), topology: topology, sources: $0) }) ?? diagnosed
        else { return nil }
        // Sampled only for a diagnosis the counters can speak to: each window samples the kernel afresh.
        let window = CounterEvidence.covers(inferred) ? counterWindow(flow) : nil
        if let window, let start = window.start, window.inFlight > 0, !openWindows.contains(where: { $0.flow == id }) {
            if openWindows.count >= Self.openWindowLimit { openWindows.removeFirst() }
            openWindows.append((id, start))
        }
        // A window the history no longer reaches back to measures nothing: it must not erase a
        // count an earlier diagnosis of the same cause made.
        if window?.deltas.isEmpty ?? true, let old = flow.diagnosis, old.id == inferred.id, old.reason.contains("; counted: ") {
            return nil
        }
        let d = window.map { CounterEvidence.apply(inferred, $0) } ?? inferred
        guard d != flow.diagnosis, let f = session.correlator.annotate(id, with: d) else { return nil }
        return FlowChange(kind: change?.kind ?? .updated, flowID: id, what: (change?.what ?? []).union(.verdict),
                          mergedInto: change?.mergedInto, changedFrom: change?.changedFrom, flow: f)
    }

    /// Lets time pass: journeys past the loss timeout get their verdicts; flows `--explain`
    /// collected are traced (at most one nft transaction per namespace per 100 ms).
    func advance(to time: EventTime) {
        write(session.advance(to: time), time: time)
        diagnoseClosedWindows(time: time)
        flushTraces()
    }

    /// The flows of `openWindows` whose requests of the window are all judged now: diagnosed again.
    private func diagnoseClosedWindows(time: EventTime) {
        guard !openWindows.isEmpty else { return }
        var closed: [Int] = []
        openWindows.removeAll { w in
            guard let f = session.correlator.flow(w.flow) else { return true }
            let open = f.journeys.contains { $0.leg == .request && $0.verdict.state == .inFlight && $0.firstTime >= w.start }
            if !open { closed.append(w.flow) }
            return !open
        }
        for id in closed { if let change = diagnose(id) { write([change], time: time) } }
    }

    /// The new flows `--explain` collected go into the trace tables, if due (see `Explainer.flushIfDue`).
    /// Not once a stop was asked for: the tables are about to be removed.
    func flushTraces(now: Double = Monotonic.now) {
        guard let explainer, !StopSignal.requested else { return }
        do { try explainer.flushIfDue(now: now) } catch { notice("explain", "cannot trace the new flows: \(error)") }
    }

    private func write(_ changes: [FlowChange], time: EventTime) {
        for var change in changes.map(diagnosed) {
            let paired = linkProxy(&change, time: time)
            defer { for p in paired { send(.flowChange(p, time: time)) } }
            // Only while explain mode is on: `trace` on an Explainer turned off (`x` in the live
            // view) would install the tables again behind the user's back.
            // Collected, not applied here: `flushTraces` rewrites the tables once per interval.
            if traceNewFlows, change.kind == .created, let explainer, explainer.isOn {
                explainer.enqueue(change.flow)
            }
            send(.flowChange(change, time: time))
        }
    }

    /// A flow a userland proxy relayed gets its link (and the flow it pairs with is updated too:
    /// returned, to follow this change on the output).
    private func linkProxy(_ change: inout FlowChange, time: EventTime) -> [FlowChange] {
        guard proxyLinker != nil, change.kind != .ended else { return [] }
        let topology = self.topology
        let links = proxyLinker?.link(change.flow, at: time) { netns, address in
            // localhost reaches the proxy too (`-p` listens on every address of the namespace).
            let loopback = address.v4.map { $0.raw >> 24 == 127 } ?? (address == .v6(IPv6Address(high: 0, low: 1)))
            return loopback || topology?.namespace(netns)?.interfaceIndex.ownsOffLoopback(address) == true
        } ?? []
        var paired: [FlowChange] = []
        for (id, link) in links {
            guard let f = session.correlator.annotate(id, proxy: link) else { continue }
            if id == change.flowID { change.flow = f } else { paired.append(FlowChange(kind: .updated, flowID: id, what: [], flow: f)) }
        }
        return paired
    }

    /// Samples the drop counters: every 100 ms while packets or conntrack events come, else
    /// every second (so a window's start always has a sample before it); `atMost` seconds apart
    /// when a diagnosis needs the count as of now.
    func sampleCounters(now: EventTime, monotonic: Double = Monotonic.now, atMost: Double? = nil) {
        guard !counterFiles.isEmpty || dropReasons != nil, monotonic - lastCounterSample >= (atMost ?? (active ? 0.1 : 1.0)) else { return }
        lastCounterSample = monotonic
        if atMost == nil { active = false }
        // Through `handle`, so a recording carries them (a replay cites what this run cited).
        for files in counterFiles {
            if let c = files.sample() {
                handle(.kernelCounters(netns: files.netns, values: CounterHistory.values(c), time: now, forDiagnosis: atMost != nil))
            }
        }
        if let trace = dropReasons {
            let drained = trace.drain()
            let lost = trace.lostSome()
            if !drained.isEmpty || lost {
                handle(.dropReasons(DropReasonRecord(entries: drained, forDiagnosis: atMost != nil, lostBefore: lost ? now : nil)))
            }
        }
    }

    /// What the counters did while the flow's failing requests went unanswered: from just before
    /// the first of those still held to now, in the namespaces they crossed. The count compared
    /// is every request since then not through: the newest may be dropped and counted already
    /// while its loss timeout runs (and an ICMP error is diagnosed the moment it arrives).
    private func counterWindow(_ f: Flow) -> CounterEvidence.Window? {
        guard countersKnown || reasonsTraced else { return nil }
        let requests = f.journeys.filter { $0.leg == .request }
        let failed = requests.filter { [.vanished, .unreplied, .icmpError].contains($0.verdict.state) }
        let open = requests.filter { $0.verdict.state == .inFlight }
        // An ICMP error is diagnosed as it arrives (its request still in flight); an unreplied
        // flow's requests were delivered as far as the path was known, and lost after.
        let judged = !failed.isEmpty ? failed
            : f.verdict.state == .icmpError ? open
            : requests.filter { $0.verdict.state == .delivered }
        guard let start = judged.map(\.firstTime).min() else { return nil }
        // The count as of now (a sample at most 10 ms old): the drop is counted before its error is sent.
        let t = Timestamp.now
        sampleCounters(now: EventTime(seconds: t.seconds, micros: t.micros), atMost: 0.01)
        var namespaces: [String?] = []
        for j in judged { for h in j.hops where !namespaces.contains(h.point.netns) { namespaces.append(h.point.netns) } }
        let from = EventTime(micros: start.micros - 50_000)
        var deltas: [String?: [String: Int64]] = [:]
        // The first sample may be younger than the margin (traffic sent just after "watching"):
        // then the last one before the first request is the baseline.
        for ns in namespaces { if let d = counters.delta(in: ns, from: from) ?? counters.delta(in: ns, from: start) { deltas[ns] = d } }
        let lost = failed.isEmpty && f.verdict.state != .icmpError ? judged.count : failed.count
        var window = CounterEvidence.Window(start: start, deltas: deltas, vanished: lost, inFlight: open.filter { $0.firstTime >= start }.count,
                                            reasons: reasonsTraced ? reasons.window(from: from, to: EventTime(micros: EventTime.limit)) : nil)
        if !failed.isEmpty, failed.allSatisfy({ $0.verdict.state == .icmpError }) { window.lost = "got an ICMP error" }
        return window
    }
}
