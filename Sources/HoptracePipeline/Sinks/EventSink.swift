import HoptraceCapture

/// Where the pipeline's results go: a line format on stdout (`JSONSink`, `TextSink`,
/// `FlowsSink`), a recording (`RecorderSink`), the live view (`LiveViewSink`). The pipeline
/// calls every sink in order, so each format lives in one place instead of a `switch format`
/// at every event. A sink implements what it takes; the rest does nothing.
public protocol EventSink: AnyObject {
    /// An event as the loop produced it, before the session sees it (what a recording keeps).
    func captured(_ event: CaptureLoop.Event)
    /// What the pipeline concluded, in order.
    func write(_ output: PipelineOutput)
}

extension EventSink {
    public func captured(_ event: CaptureLoop.Event) {}
    public func write(_ output: PipelineOutput) {}
}
