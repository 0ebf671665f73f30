import HoptraceCapture
import HoptraceCore

/// The live view reads the session itself: a sink only tells it that flows moved (verdicts
/// settling, flows ending, a rule path arriving), so the next tick redraws.
final class LiveViewSink: EventSink {
    /// Weak: the view holds the pipeline that holds this sink.
    private weak var view: LiveView?

    init(_ view: LiveView) { self.view = view }

    func write(_ output: PipelineOutput) {
        switch output {
        case .flowChange, .trace: view?.changed()
        default: break
        }
    }

    /// The view reads packets from the session's log.
    func packet(_ p: DecodedPacket, at point: CapturePoint, _ pkt: PcapPacket, flow: Int?) {}
}
