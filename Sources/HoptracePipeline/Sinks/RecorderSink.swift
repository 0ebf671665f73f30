import HoptraceCapture
import HoptraceCore

/// `watch -w FILE`: every event as the loop produced it goes into the recording, before the
/// session sees it (a replay feeds the same events through the same pipeline).
public final class RecorderSink: EventSink {
    public let recorder: CaptureRecorder

    public init(_ recorder: CaptureRecorder) { self.recorder = recorder }

    public func captured(_ event: CaptureLoop.Event) { recorder.record(event) }

    /// Packets went in as captured.
    public func packet(_ p: DecodedPacket, at point: CapturePoint, _ pkt: PcapPacket, flow: Int?) {}
}
