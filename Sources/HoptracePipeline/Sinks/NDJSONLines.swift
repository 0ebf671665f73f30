import HoptraceCapture
import HoptraceCore

/// The NDJSON line of each output, shared by `--json` and `--flows` (which writes the same
/// lines but packets and conntrack events).
enum NDJSONLines {
    /// Writes the output's line; packets and conntrack events, one per event of a flood,
    /// go in as bytes (`LineWriter.json`), the rest as text.
    static func write(_ output: PipelineOutput, to writer: LineWriter) {
        switch output {
        case .packet(let p, let point, let pkt, let flow):
            writePacket(p, at: point, pkt, flow: flow, to: writer)
        case .conntrack(let e, let netns, let seconds, let micros, let flow):
            writer.json(EventJSON.conntrackLine(e, netns: netns, seconds: seconds, micros: micros, flow: flow))
        default:
            writer.line(line(output))
        }
    }

    static func writePacket(_ p: DecodedPacket, at point: CapturePoint, _ pkt: PcapPacket, flow: Int?, to writer: LineWriter) {
        writer.json { EventJSON.appendPacketLine(p, at: point, seconds: pkt.seconds, micros: pkt.micros, flow: flow, to: $0) }
    }

    static func line(_ output: PipelineOutput) -> String {
        switch output {
        case .standing(let d, let netns, let time):
            return DiagnosisJSON.line(d, netns: netns, time: time)
        case .packet(let p, let point, let pkt, let flow):
            return EventJSON.packet(p, at: point, seconds: pkt.seconds, micros: pkt.micros, flow: flow)
        case .malformed(let e, let point, let pkt):
            return EventJSON.notice("malformed", netns: point.netns, seconds: pkt.seconds, micros: pkt.micros, message: "\(point.iface): \(e)")
        case .conntrack(let e, let netns, let seconds, let micros, let flow):
            return EventJSON.conntrack(e, netns: netns, seconds: seconds, micros: micros, flow: flow)
        case .conntrackLost(let netns, let overruns, let now):
            return EventJSON.notice("conntrack-lost", netns: netns, seconds: now.seconds, micros: now.micros,
                                    message: "ENOBUFS: events lost (\(overruns) times); the table is dumped again (event: existing)")
        case .stats(let st, let flows, let now):
            return EventJSON.stats(
                points: st.points.map { ($0.point, Int($0.received), Int($0.dropped)) },
                conntrackEvents: st.conntrackEvents, conntrackLost: st.conntrackOverruns, flows: flows,
                seconds: now.seconds, micros: now.micros)
        case .captureLoss(let point, let dropped, let to):
            return EventJSON.notice("capture-loss", netns: point.netns, seconds: to.seconds, micros: to.micros,
                                    message: "\(point.iface): the kernel dropped \(dropped) packets (capture buffer full); journeys missing there are judged uncaptured, not vanished")
        case .pointLost(let point, let reason, let now):
            return EventJSON.notice("point-lost", netns: point.netns, seconds: now.seconds, micros: now.micros, message: "\(point.iface) is gone: \(reason)")
        case .flowChange(let change, let time):
            return FlowJSON.line(change, time: time)
        case .finalFlow(let f, let time):
            return FlowJSON.line(f, time: time) { $0.add("event", "final") }
        case .trace(let path, let flow, let time):
            return TraceJSON.line(path, flow: flow, time: time)
        case .notice(let kind, let message, let now):
            return EventJSON.notice(kind, netns: nil, seconds: now.seconds, micros: now.micros, message: message)
        }
    }
}
