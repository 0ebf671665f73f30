import HoptraceCapture
import HoptraceCore

/// `watch --text`: tcpdump-like packet lines, conntrack -E lines, flow summaries and
/// `hoptrace:` notices. A flow gets a line when it appears, learns a NAT, changes verdict
/// state or ends: not for every hop that refines the same verdict.
public final class TextSink: EventSink {
    public let writer: LineWriter
    /// The verdict state last printed per live flow (bounded by the live flows).
    private var printedState: [Int: String] = [:]

    public init(_ writer: LineWriter) { self.writer = writer }

    public func write(_ output: PipelineOutput) {
        switch output {
        case .standing(let d, _, _):
            writer.line("hoptrace: diagnosis: \(d.reason); fix: \(d.fix ?? "-")")
        case .packet(let p, let point, let pkt, _):
            writer.line(PacketText.line(p, at: point, time: Timestamp.time(seconds: pkt.seconds, micros: pkt.micros)))
        case .malformed(let e, let point, let pkt):
            writer.line("\(Timestamp.time(seconds: pkt.seconds, micros: pkt.micros)) \(point) malformed: \(e)")
        case .conntrack(let e, let netns, let seconds, let micros, _):
            writer.line(ConntrackText.line(e, netns: netns, time: Timestamp.time(seconds: seconds, micros: micros)))
        case .conntrackLost(let netns, let overruns, _):
            writer.line("hoptrace: conntrack events lost in \(netns ?? "this namespace") (ENOBUFS, \(overruns) times); the table is dumped again")
        case .stats(let st, let flows, _):
            let points = st.points.map { "\($0.point) recv \($0.received) drop \($0.dropped)" }.joined(separator: ", ")
            writer.line("hoptrace: stats \(points); conntrack events \(st.conntrackEvents) lost \(st.conntrackOverruns); flows \(flows.live) live, \(flows.evicted) evicted")
        case .captureLoss(let point, let dropped, _):
            writer.line("hoptrace: capture at \(point) dropped \(dropped) packets (kernel buffer full); journeys missing there are judged uncaptured, not vanished")
        case .pointLost(let point, let reason, _):
            writer.line("hoptrace: capture point \(point) is gone (\(reason)); the others keep running")
        case .flowChange(let change, let time):
            flowChange(change, time: time)
        case .finalFlow(let f, let time):
            writer.line("\(Self.time(time)) final \(FlowText.line(f))")
        case .trace(let path, let flow, let time):
            writer.line("\(Self.time(time)) \(TraceJSON.text(path, flow: flow))")
        case .notice(let kind, let message, _):
            writer.line("hoptrace: \(kind): \(message)")
        }
    }

    private func flowChange(_ change: FlowChange, time: EventTime) {
        let state = change.flow.verdict.state.rawValue
        if change.kind == .ended {
            printedState[change.flowID] = nil
        } else {
            guard change.kind == .created || change.what.contains(.nat) || printedState[change.flowID] != state else { return }
            printedState[change.flowID] = state
        }
        let merged = change.mergedInto.map { " (merged into flow \($0))" } ?? ""
        writer.line("\(Self.time(time)) \(FlowText.line(change.flow))\(merged)")
    }

    private static func time(_ t: EventTime) -> String {
        Timestamp.time(seconds: Int(t.seconds), micros: Int(t.microsOfSecond))
    }
}
