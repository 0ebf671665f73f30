import HoptraceCapture
import HoptraceCore

/// `watch --json`: one NDJSON object per packet, conntrack event, flow change and notice.
public final class JSONSink: EventSink {
    public let writer: LineWriter

    public init(_ writer: LineWriter) { self.writer = writer }

    public func write(_ output: PipelineOutput) {
        NDJSONLines.write(output, to: writer)
    }

    public func packet(_ p: DecodedPacket, at point: CapturePoint, _ pkt: PcapPacket, flow: Int?) {
        NDJSONLines.writePacket(p, at: point, pkt, flow: flow, to: writer)
    }
}
