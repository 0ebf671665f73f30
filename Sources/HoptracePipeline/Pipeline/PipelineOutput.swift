import HoptraceCapture
import HoptraceCore

/// What the pipeline has to say, in the order it says it: each case is one line of `--json`
/// or `--text` (`--flows` leaves out packets and conntrack events; a `.flowChange` may print no
/// text line, see `TextSink`). Times are carried as they were read, so each sink formats them
/// exactly as the others do.
public enum PipelineOutput {
    /// A problem the topology shows before any packet (a container without a default route).
    case standing(Diagnosis, netns: String?, time: EventTime)
    /// A decoded packet and the flow it joined, if any.
    case packet(DecodedPacket, at: CapturePoint, PcapPacket, flow: Int?)
    case malformed(DecodeError, at: CapturePoint, PcapPacket)
    /// A conntrack event and the flow it joined, if any.
    case conntrack(ConntrackEvent, netns: String?, seconds: Int, micros: Int, flow: Int?)
    case conntrackLost(netns: String?, overruns: Int, now: (seconds: Int, micros: Int))
    case stats(CaptureStats, flows: Correlator.Stats, now: (seconds: Int, micros: Int))
    case captureLoss(CapturePoint, dropped: Int, to: (seconds: Int, micros: Int))
    case pointLost(CapturePoint, reason: String, now: (seconds: Int, micros: Int))
    /// A flow appeared, changed or ended (a problem verdict already diagnosed).
    case flowChange(FlowChange, time: EventTime)
    /// At the end of a run: a flow still alive, as it finally stands.
    case finalFlow(Flow, time: EventTime)
    /// A rule path whose final verdict is new (explain mode), tied to its flow.
    case trace(RulePath, flow: Int?, time: EventTime)
    case notice(kind: String, message: String, now: (seconds: Int, micros: Int))
}
