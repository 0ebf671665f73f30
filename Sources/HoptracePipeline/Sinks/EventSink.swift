import HoptraceCapture
import HoptraceCore

/// Where the pipeline's results go: a line format on stdout (`JSONSink`, `TextSink`,
/// `FlowsSink`), a recording (`RecorderSink`), the live view (`LiveViewSink`). The pipeline
/// calls every sink in order, so each format lives in one place instead of a `switch format`
/// at every event. A sink implements what it takes; the rest does nothing.
public protocol EventSink: AnyObject {
    /// An event as the loop produced it, before the session sees it (what a recording keeps).
    func captured(_ event: CaptureLoop.Event)
    /// What the pipeline concluded, in order.
    func write(_ output: PipelineOutput)
    /// A packet sighting, the one output a flood brings per packet: what `write(.packet(…))`
    /// gets, handed over without building and destroying an output for it (a sink that writes
    /// packets or ignores them says so here; the rest get `write`).
    func packet(_ p: DecodedPacket, at point: CapturePoint, _ pkt: PcapPacket, flow: Int?)
}

extension EventSink {
    public func captured(_ event: CaptureLoop.Event) {}
    public func write(_ output: PipelineOutput) {}
    public func packet(_ p: DecodedPacket, at point: CapturePoint, _ pkt: PcapPacket, flow: Int?) {
        write(.packet(p, at: point, pkt, flow: flow))
    }
}
