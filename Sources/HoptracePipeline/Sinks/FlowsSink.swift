import HoptraceCapture
import HoptraceCore

/// `watch --flows`: the NDJSON of what the correlator concludes (flow changes, stats,
/// notices, traces), without the packets and conntrack events it concluded it from.
public final class FlowsSink: EventSink {
    public let writer: LineWriter

    public init(_ writer: LineWriter) { self.writer = writer }

    public func write(_ output: PipelineOutput) {
        switch output {
        case .packet, .malformed, .conntrack: return
        default: NDJSONLines.write(output, to: writer)
        }
    }

    public func packet(_ p: DecodedPacket, at point: CapturePoint, _ pkt: PcapPacket, flow: Int?) {}
}
