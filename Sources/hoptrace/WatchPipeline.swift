import HoptraceCapture
import HoptraceCore

/// What `watch --json/--text/--flows` does with each event of the loop (live or
/// replayed): feed the Session (correlator + logs), then write the lines asked for.
final class WatchPipeline {
    /// `none`: the live view reads the session; nothing is written.
    enum Format { case json, text, flows, none }

    let format: Format
    let paths = SwitchablePaths()
    private(set) var session: Session
    private var watched: Set<CapturePoint>
    /// --text: the verdict state last printed per live flow (bounded by the live flows).
    private var printedState: [Int: String] = [:]
    /// Explain mode: the trace tables, and whether every new flow is traced (`--explain`)
    /// or only the ones the live view asks about (`x`).
    var explainer: Explainer?
    var traceNewFlows = false
    /// Called when flows changed (the live view redraws).
    var onChange: () -> Void = {}
    /// What diagnosis reads: the topology, and the namespaces' sysctls and iptables backend.
    private(set) var topology: Topology?
    /// Problems the topology shows before any packet (a container without a default route).
    private(set) var standing: [(netns: String?, diagnosis: Diagnosis)] = []
    private(set) var facts = FactsBook()
    var readFacts: () -> FactsBook = { FactsBook() }

    init(format: Format, points: [CapturePoint], lossTimeout: Double, maxFlows: Int) {
        self.format = format
        watched = Set(points)
        session = Session(points: points, correlator: Correlator(paths: paths, lossTimeout: lossTimeout, maxFlows: maxFlows))
        // Only the live view shows recent packets.
        session.keepsPacketLog = format == .none
    }

    /// The namespaces' topology, read at start (or from a recording): paths through the watched points.
    func use(topology: Topology, watching points: [CapturePoint]? = nil) {
        if let points { watched.formUnion(points) }
        paths.current = TopologyPaths(topology, watched: watched)
        self.topology = topology
        standing = MissingDefaultRoute.diagnoses(topology)
        let now = Timestamp.now
        for (netns, d) in standing {
            switch format {
            case .json, .flows: emit(DiagnosisJSON.line(d, netns: netns, time: EventTime(seconds: now.seconds, micros: now.micros)))
            case .text: emit("hoptrace: diagnosis: \(d.reason); fix: \(d.fix ?? "-")")
            case .none: break
            }
        }
        session.correlator.topologyChanged()
    }

    func handle(_ event: CaptureLoop.Event) {
        switch event {
        case .packet(let point, let pkt, let decoded):
            let time = EventTime(seconds: pkt.seconds, micros: pkt.micros)
            switch decoded {
            case .success(let p):
                let changes = session.packet(p, at: point, time: time)
                switch format {
                case .json: emit(EventJSON.packet(p, at: point, seconds: pkt.seconds, micros: pkt.micros, flow: session.correlator.lastFlowID))
                case .text: emit(PacketText.line(p, at: point, time: Timestamp.time(seconds: pkt.seconds, micros: pkt.micros)))
                case .flows, .none: break
                }
                write(changes, time: time)
            case .failure(let e):
                session.malformed(at: point, time: time, error: e)
                switch format {
                case .json: emit(EventJSON.notice("malformed", netns: point.netns, seconds: pkt.seconds, micros: pkt.micros, message: "\(point.iface): \(e)"))
                case .text: emit("\(Timestamp.time(seconds: pkt.seconds, micros: pkt.micros)) \(point) malformed: \(e)")
                case .flows, .none: break
                }
            }
        case .conntrack(let netns, let e, let seconds, let micros):
            let time = EventTime(seconds: seconds, micros: micros)
            let changes = session.conntrack(e, netns: netns, time: time)
            switch format {
            case .json: emit(EventJSON.conntrack(e, netns: netns, seconds: seconds, micros: micros, flow: session.correlator.lastFlowID))
            case .text: emit(ConntrackText.line(e, netns: netns, time: Timestamp.time(seconds: seconds, micros: micros)))
            case .flows, .none: break
            }
            write(changes, time: time)
        case .conntrackLost(let netns, let overruns):
            let now = Timestamp.now
            session.stats([], conntrackLost: overruns)
            switch format {
            case .json, .flows:
                emit(EventJSON.notice("conntrack-lost", netns: netns, seconds: now.seconds, micros: now.micros,
                                      message: "ENOBUFS: events lost (\(overruns) times); the table is dumped again (event: existing)"))
            case .text:
                emit("hoptrace: conntrack events lost in \(netns ?? "this namespace") (ENOBUFS, \(overruns) times); the table is dumped again")
            case .none: break
            }
        case .stats(let st):
            session.stats(st.points.map { ($0.point, $0.received, $0.dropped) }, conntrackLost: st.conntrackOverruns)
            let now = Timestamp.now
            let flows = session.correlator.stats
            switch format {
            case .json, .flows:
                emit(EventJSON.stats(
                    points: st.points.map { ($0.point, Int($0.received), Int($0.dropped)) },
                    conntrackEvents: st.conntrackEvents, conntrackLost: st.conntrackOverruns, flows: flows,
                    seconds: now.seconds, micros: now.micros))
            case .text:
                let points = st.points.map { "\($0.point) recv \($0.received) drop \($0.dropped)" }.joined(separator: ", ")
                emit("hoptrace: stats \(points); conntrack events \(st.conntrackEvents) lost \(st.conntrackOverruns); flows \(flows.live) live, \(flows.evicted) evicted")
            case .none: break
            }
        case .captureLoss(let point, let dropped, let from, let to):
            session.correlator.captureLost(at: point, dropped: dropped, from: EventTime(seconds: from.seconds, micros: from.micros),
                                           to: EventTime(seconds: to.seconds, micros: to.micros))
            switch format {
            case .json, .flows:
                emit(EventJSON.notice("capture-loss", netns: point.netns, seconds: to.seconds, micros: to.micros,
                                      message: "\(point.iface): the kernel dropped \(dropped) packets (capture buffer full); journeys missing there are judged uncaptured, not vanished"))
            case .text:
                emit("hoptrace: capture at \(point) dropped \(dropped) packets (kernel buffer full); journeys missing there are judged uncaptured, not vanished")
            case .none: break
            }
        case .pointLost(let point, let reason):
            session.pointLost(point, reason: reason)
            let now = Timestamp.now
            switch format {
            case .json, .flows:
                emit(EventJSON.notice("point-lost", netns: point.netns, seconds: now.seconds, micros: now.micros, message: "\(point.iface) is gone: \(reason)"))
            case .text:
                emit("hoptrace: capture point \(point) is gone (\(reason)); the others keep running")
            case .none: break
            }
        }
    }

    /// At the end of a run: every flow still alive as it finally stands (`event:"final"`),
    /// since hops that refine a verdict do not each produce a line.
    func finish(at time: EventTime) {
        guard format != .none else { return }
        for f in session.correlator.allFlows where !f.ended {
            switch format {
            case .json, .flows: emit(FlowJSON.line(f, time: time) { $0.add("event", "final") })
            case .text: emit("\(Timestamp.time(seconds: Int(time.seconds), micros: Int(time.microsOfSecond))) final \(FlowText.line(f))")
            case .none: break
            }
        }
    }

    /// The trace descriptors were readable: rule paths with a new final verdict become
    /// `trace` lines, tied to their flow.
    func traceReadable(now: EventTime) {
        guard let explainer else { return }
        for path in explainer.drain(now: now) {
            let flow = path.firstKey.flatMap { k in session.correlator.flowID(for: k) ?? session.correlator.flowID(for: k.reversed()) }
            switch format {
            case .json, .flows: emit(TraceJSON.line(path, flow: flow, time: now))
            case .text: emit("\(Timestamp.time(seconds: Int(now.seconds), micros: Int(now.microsOfSecond))) \(TraceJSON.text(path, flow: flow))")
            case .none: break
            }
            // The kernel's word may explain a verdict already given: say it again, explained.
            if let flow, let change = diagnose(flow) { write([change], time: now) }
            onChange()
        }
    }

    /// A notice on the output (json: `type:KIND`; text: a `hoptrace:` line; the live view: nothing).
    func notice(_ kind: String, _ message: String) {
        let now = Timestamp.now
        switch format {
        case .json, .flows: emit(EventJSON.notice(kind, netns: nil, seconds: now.seconds, micros: now.micros, message: message))
        case .text: emit("hoptrace: \(kind): \(message)")
        case .none: break
        }
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
        guard let flow = change?.flow ?? session.correlator.flow(id), flow.verdict.isProblem,
              let d = Diagnoser.diagnose(flow: flow, topology: topology, traces: explainer?.paths ?? [], facts: facts),
              d != flow.diagnosis, let f = session.correlator.annotate(id, with: d) else { return nil }
        return FlowChange(kind: change?.kind ?? .updated, flowID: id, what: (change?.what ?? []).union(.verdict),
                          mergedInto: change?.mergedInto, changedFrom: change?.changedFrom, flow: f)
    }

    /// Lets time pass: journeys past the loss timeout get their verdicts; flows `--explain`
    /// collected are traced (at most one nft transaction per namespace per 100 ms).
    func advance(to time: EventTime) {
        write(session.advance(to: time), time: time)
        flushTraces()
    }

    /// The new flows `--explain` collected go into the trace tables, if due (see `Explainer.flushIfDue`).
    /// Not once a stop was asked for: the tables are about to be removed.
    func flushTraces(now: Double = Monotonic.now) {
        guard let explainer, !StopSignal.requested else { return }
        do { try explainer.flushIfDue(now: now) } catch { notice("explain", "cannot trace the new flows: \(error)") }
    }

    private func write(_ changes: [FlowChange], time: EventTime) {
        if !changes.isEmpty { onChange() }
        for change in changes.map(diagnosed) {
            // Only while explain mode is on: `trace` on an Explainer turned off (`x` in the live
            // view) would install the tables again behind the user's back.
            // Collected, not applied here: `flushTraces` rewrites the tables once per interval.
            if traceNewFlows, change.kind == .created, let explainer, explainer.isOn {
                explainer.enqueue(change.flow)
            }
            switch format {
            case .none: continue
            case .json, .flows:
                emit(FlowJSON.line(change, time: time))
            case .text:
                // One line when a flow appears, learns a NAT, changes verdict state or ends:
                // not for every hop that refines the same verdict.
                let state = change.flow.verdict.state.rawValue
                if change.kind == .ended {
                    printedState[change.flowID] = nil
                } else {
                    guard change.kind == .created || change.what.contains(.nat) || printedState[change.flowID] != state else { continue }
                    printedState[change.flowID] = state
                }
                let merged = change.mergedInto.map { " (merged into flow \($0))" } ?? ""
                emit("\(Timestamp.time(seconds: Int(time.seconds), micros: Int(time.microsOfSecond))) \(FlowText.line(change.flow))\(merged)")
            }
        }
    }
}
