import HoptraceCapture
import HoptraceCore

/// `watch -r FILE`: the pipeline over a recording. The recording's own topology (if hoptrace
/// wrote it) gives the paths; the clock is the events' time, and at the end it runs on by the
/// loss timeout so the last journeys get their verdicts.
public struct WatchReplay {
    public let path: String
    public var lossTimeout: Double
    public var maxFlows: Int
    /// Stop after this many packets (`--count`).
    public var count: Int?

    public init(path: String, lossTimeout: Double = 1, maxFlows: Int = 50_000, count: Int? = nil) {
        self.path = path
        self.lossTimeout = lossTimeout
        self.maxFlows = maxFlows
        self.count = count
    }

    /// Every event goes to `sinks` through one pipeline. `opened` runs once the file is open,
    /// before anything is read (where `watch` drops its privileges); `stop` is asked after
    /// every event (stdout's reader gone). Throws `CaptureError` for a file that cannot be
    /// read or is cut off, after everything before the fault has been handed on.
    public func run(sinks: [any EventSink], opened: () -> Void = {}, stop: () -> Bool = { false }) throws {
        var pipeline: WatchPipeline?
        var points: [CapturePoint] = []
        var last = EventTime(micros: 0)
        func ensurePipeline() -> WatchPipeline {
            if let pipeline { return pipeline }
            let p = WatchPipeline(points: points, lossTimeout: lossTimeout, maxFlows: maxFlows, sinks: sinks)
            pipeline = p
            return p
        }
        try ReplaySource(path: path).run(limit: count, opened: opened, stop: stop, interfaces: { points = $0.map(\.point) }, topology: { sources in
            do {
                ensurePipeline().use(topology: try TopologyDiscovery.topology(sources.get()), watching: points)
            } catch {
                Console.err("hoptrace: warning: the recording's topology: \(error); hop paths unknown")
            }
        }) { event in
            let p = ensurePipeline()
            let time: EventTime? = switch event {
            case .packet(_, let pkt, _): EventTime(seconds: pkt.seconds, micros: pkt.micros)
            case .conntrack(_, _, let s, let us): EventTime(seconds: s, micros: us)
            default: nil
            }
            // Verdicts due before this event are settled first, as a live run would have.
            if let time, time > last {
                p.advance(to: time)
                last = time
            }
            p.handle(event)
        }
        let end = last.adding(seconds: lossTimeout).adding(micros: 1)
        pipeline?.advance(to: end)
        pipeline?.finish(at: end)
    }
}
